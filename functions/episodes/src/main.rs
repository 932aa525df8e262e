//! The episodes Lambda: its app built once from the environment (`podcastflow_wiring`), then serving.

podcastflow_wiring::http_main!(podcastflow_episodes::EpisodesApp);
