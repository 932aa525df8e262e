//! Media end to end: a producer uploads an episode's recording through a presigned PUT to the
//! local S3, confirms it, and those who may hear the recording download it; others get 404, and
//! wrong types and sizes are refused before any URL is handed out.

use podcastflow_tests::org;
use podcastflow_tests::stack::TestStack;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_recording_is_uploaded_confirmed_and_downloaded_by_those_allowed() {
    let s = TestStack::start().await;
    let master = s.master().await;
    let o = org::create(&s, &master).await;
    let other = org::create(&s, &master).await;
    let show = o
        .admin
        .api
        .post("/shows", json!({"name": "Media", "releaseFrequency": "weekly", "producerIds": [o.producer.id], "talentIds": [o.talent.id]}))
        .await;
    let show = show.body["id"].as_str().unwrap().to_owned();
    let ep =
        o.producer.api.post("/episodes", json!({"showId": show, "title": "Pilot", "talentIds": [o.talent.id]})).await;
    let ep = ep.body["id"].as_str().unwrap().to_owned();
    let entity = json!({"type": "episode", "id": ep});
    let audio = vec![7u8; 64 * 1024];

    // Wrong types and sizes are refused before any URL exists.
    for (ct, size, field) in
        [("application/x-msdownload", 10, "contentType"), ("audio/mpeg", 500 * 1024 * 1024 + 1, "size")]
    {
        let r = o
            .producer
            .api
            .post("/media/uploads", json!({"entity": entity, "fileName": "x", "contentType": ct, "size": size}))
            .await;
        assert_eq!(r.status, 400, "{ct}");
        assert_eq!(r.body["errors"][0]["field"], field);
    }
    // Who may not change the recording cannot start an upload.
    let body = json!({"entity": entity, "fileName": "../pilot.mp3", "contentType": "audio/mpeg", "size": audio.len()});
    assert_eq!(o.seller.api.post("/media/uploads", body.clone()).await.status, 403);
    assert_eq!(o.client.api.post("/media/uploads", body.clone()).await.status, 404);
    assert_eq!(other.admin.api.post("/media/uploads", body.clone()).await.status, 404);

    let started = o.producer.api.post("/media/uploads", body).await;
    assert_eq!(started.status, 201, "{:?}", started.body);
    let id = started.body["media"]["id"].as_str().unwrap().to_owned();
    let key = started.body["media"]["objectKey"].as_str().unwrap();
    assert!(key.starts_with(&format!("media/{}/episode/{ep}/{id}/", o.id)) && key.ends_with("/pilot.mp3"), "{key}");
    assert_eq!(
        o.producer.api.post(&format!("/media/{id}/confirm"), json!({})).await.status,
        409,
        "nothing uploaded yet"
    );
    let url = started.body["upload"]["url"].as_str().unwrap();
    // The refusal comes before the body is read, so the server closes that connection; a client
    // that pooled it could race the close on its next request. The refused PUT keeps no connection.
    let once = reqwest::Client::builder().pool_max_idle_per_host(0).build().unwrap();
    let wrong = once.put(url).header("content-type", "image/png").body(audio.clone()).send().await.unwrap();
    let http = reqwest::Client::new();
    assert!(wrong.status().is_client_error(), "the URL is for that content type only: {}", wrong.status());
    let put = http.put(url).header("content-type", "audio/mpeg").body(audio.clone()).send().await.unwrap();
    assert!(put.status().is_success(), "{}", put.status());
    let confirmed = o.producer.api.post(&format!("/media/{id}/confirm"), json!({})).await;
    assert_eq!((confirmed.status.as_u16(), confirmed.body["status"].as_str()), (200, Some("ready")));

    // The talent and the seller may hear it; the client user and another org may not know it exists.
    for api in [&o.talent.api, &o.seller.api, &o.admin.api] {
        let link = api.get(&format!("/media/{id}/download")).await;
        assert_eq!(link.status, 200, "{:?}", link.body);
        let got = reqwest::get(link.body["url"].as_str().unwrap()).await.unwrap().bytes().await.unwrap();
        assert_eq!(got.as_ref(), audio.as_slice());
    }
    for api in [&o.client.api, &other.admin.api] {
        assert_eq!(api.get(&format!("/media/{id}/download")).await.status, 404);
        assert_eq!(api.get(&format!("/media?entityType=episode&entityId={ep}")).await.status, 404);
    }
    let listed = o.talent.api.get(&format!("/media?entityType=episode&entityId={ep}")).await;
    assert_eq!(listed.body["items"].as_array().map(Vec::len), Some(1), "{:?}", listed.body);
    assert_eq!(o.producer.api.get("/media").await.status, 400);

    assert_eq!(o.seller.api.send("DELETE", &format!("/media/{id}"), None, None).await.status, 403);
    assert_eq!(o.producer.api.send("DELETE", &format!("/media/{id}"), None, None).await.status, 204);
    assert_eq!(o.talent.api.get(&format!("/media/{id}/download")).await.status, 404);
}
