//! The demo organization's host reads: the live campaign's brief, and the reads of its booked
//! order in two states: one in review whose take missed the promo code (a failed check item),
//! one approved. Their recordings are real WAV files, uploaded once the stack's S3 serves
//! ([`DemoFile`]), measured as the media function would measure them.

use chrono::{Duration, Utc};
use podcastflow_domain::ad_read::brief::{Brief, DEFAULT_LEAD_DAYS};
use podcastflow_domain::ad_read::deadlines::{Deadlines, Tz, next_business_day, recording_due};
use podcastflow_domain::ad_read::{Actor, AdRead, AdReadStatus, Submission, conformance};
use podcastflow_domain::campaign::Campaign;
use podcastflow_domain::media::{Media, MediaStatus};
use podcastflow_domain::notification::EntityRef;
use podcastflow_domain::order::AdType;
use podcastflow_domain::visibility::EntityKind;
use podcastflow_domain::{BriefId, MediaId, OrderId, Stamp};
use podcastflow_media::audio::{measure, samples};
use podcastflow_store::TenantTable;
use podcastflow_store::repo::RepoError;
use podcastflow_store::repo::ad_reads::AdReadRepo;
use podcastflow_store::repo::media::MediaRepo;
use podcastflow_store::repo::orders::OrderRepo;

use crate::demo_data::DemoPeople;

/// A file the demo data refers to, to be put in the media bucket once S3 serves.
pub struct DemoFile {
    /// Its key in the media bucket.
    pub key: String,
    /// Its bytes.
    pub bytes: Vec<u8>,
    /// Its content type.
    pub content_type: String,
}

const TAKE_MISSING_CODE: &str = "Today's run is fueled by Fizzy Cola, zero sugar and all the fizz. \
    Grab a cold one after your long run. Fizzy Cola sponsored this episode.";
const TAKE_COMPLETE: &str = "Today's run is fueled by Fizzy Cola, zero sugar and all the fizz. \
    Grab a cold one after your long run. Use code RUN25 at fizzy dot example for a free case, \
    that is code RUN25. Fizzy Cola sponsored this episode.";

/// Writes the brief and the reads of `order` (the live campaign's booked order); answers the
/// recordings to upload.
pub async fn write(
    t: &TenantTable,
    people: &DemoPeople,
    campaign: &Campaign,
    order: &OrderId,
    tz: Tz,
) -> Result<Vec<DemoFile>, RepoError> {
    let now = Utc::now();
    let repo = AdReadRepo::new(t);
    let brief = Brief {
        id: BriefId::new(),
        org_id: campaign.org_id,
        campaign_id: campaign.id,
        show_id: None,
        talking_points: vec!["Fizzy Cola, zero sugar".into(), "A cold one after your long run".into()],
        required_phrases: vec!["all the fizz".into()],
        forbidden_claims: vec!["healthy".into()],
        promo_code: Some("RUN25".into()),
        vanity_url: Some("fizzy.example/run".into()),
        call_to_action: Some("A free case with code RUN25".into()),
        disclosure: Some("Fizzy Cola sponsored this episode".into()),
        pronunciation_notes: Some("FIZZ-ee, not FIZZ-eye".into()),
        min_seconds: Some(15),
        max_seconds: Some(60),
        attachments: Vec::new(),
        due_lead_days: DEFAULT_LEAD_DAYS,
        stamp: Stamp::created(people.seller, now),
    };
    repo.create_brief(&brief).await?;
    let Some(o) = OrderRepo::new(t).get(order).await? else { return Ok(Vec::new()) };
    let reads: Vec<AdRead> = o
        .lines
        .iter()
        .filter(|l| l.ad_type == AdType::HostRead)
        .map(|l| {
            let mut r = AdRead::of_line(&o, l, Some(people.talent), Some(brief.id), now);
            r.deadlines.recording_due_at = Some(recording_due(l.air_date, DEFAULT_LEAD_DAYS, tz));
            r
        })
        .collect();
    repo.create_for_lines(reads).await?;
    let mut files = Vec::new();
    let takes = [(TAKE_MISSING_CODE, 21, AdReadStatus::InReview), (TAKE_COMPLETE, 28, AdReadStatus::Approved)];
    for (read, (transcript, seconds, status)) in repo.of_order(order).await?.into_iter().zip(takes) {
        let bytes = samples::wav(seconds, 8000);
        let measured = measure(bytes.clone(), "audio/wav").ok();
        let entity = EntityRef { kind: EntityKind::AdRead, id: read.id.to_string() };
        let id = MediaId::new();
        let media = Media {
            id,
            org_id: read.org_id,
            object_key: Media::object_key_of(&read.org_id, &entity, &id, "take-1.wav"),
            entity,
            file_name: "take-1.wav".into(),
            content_type: "audio/wav".into(),
            size: bytes.len() as u64,
            status: MediaStatus::Ready,
            confirmed_at: Some(now),
            duration_ms: measured.map(|s| (s * 1000.0).round() as u64),
            stamp: Stamp::created(people.talent, now),
        };
        MediaRepo::new(t).create(&media).await?;
        files.push(DemoFile { key: media.object_key.clone(), bytes, content_type: media.content_type.clone() });
        let submitted_at = now - Duration::hours(3);
        repo.modify(&read.id, people.seller, now, |r| {
            r.submissions = vec![Submission {
                number: 1,
                recording_id: media.id,
                duration_seconds: measured,
                transcript: transcript.into(),
                brief_version: Some(brief.stamp.version),
                checklist: conformance::check(&brief, transcript, measured),
                by: people.talent,
                at: submitted_at,
            }];
            r.history.clear();
            r.status = AdReadStatus::NeedsRead;
            r.moved(AdReadStatus::Submitted, people.talent, Actor::Talent, submitted_at, None);
            r.moved(AdReadStatus::InReview, people.seller, Actor::Reviewer, now - Duration::hours(1), None);
            r.deadlines =
                Deadlines { review_due_at: Some(next_business_day(submitted_at, tz)), ..Deadlines::default() };
            if status == AdReadStatus::Approved {
                r.moved(AdReadStatus::Approved, people.seller, Actor::Reviewer, now, None);
                r.deadlines = Deadlines::default();
            }
            true
        })
        .await?;
    }
    Ok(files)
}
