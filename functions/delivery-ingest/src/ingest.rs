//! Reading one log file into the ledger, a chunk of lines at a time:
//! 1. each line read (CloudFront or JSON Lines, found from the first line), a bad one counted;
//! 2. its URL matched to an episode: the host is one of a show's feed hosts and the path one of
//!    that show's episodes' enclosure URLs;
//! 3. the guidelines' filters; a kept request keyed by its listener's HMAC (the raw address
//!    goes no further);
//! 4. per episode, the listeners' ledgers read, merged, counted again, and written with the
//!    rollup changes in transactions of up to 100 writes (retried on a concurrent write);
//! 5. the file's checkpoint and counts saved after each chunk, so a continuation (or a retry after
//!    a crash) starts where the last chunk ended. Replaying a chunk merges requests already in the
//!    ledgers and changes no count.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use chrono::{DateTime, Datelike, Duration, Utc};
use chrono_tz::Tz;
use podcastflow_domain::delivery::count::Served;
use podcastflow_domain::delivery::file::EpisodeFile;
use podcastflow_domain::delivery::filters::{BotList, Dropped, user_agent_rule, verdict_with};
use podcastflow_domain::delivery::ledger::changes;
use podcastflow_domain::delivery::listener::Keyer;
use podcastflow_domain::delivery::logs::{BadLine, CloudFront, LoggedRequest, json_line};
use podcastflow_domain::delivery::records::{self, LEDGER_DAYS, LogFile};
use podcastflow_domain::delivery::windows::WindowMethod;
use podcastflow_domain::episode::Episode;
use podcastflow_domain::inventory::spot::{Claim, SpotRef};
use podcastflow_domain::keys::Key;
use podcastflow_domain::organization::Organization;
use podcastflow_domain::show::Show;
use podcastflow_domain::{CampaignId, EpisodeId, OrderId, ShowId};
use podcastflow_store::TenantTable;
use podcastflow_store::repo::RepoError;
use podcastflow_store::repo::delivery::{DeliveryRepo, LedgerWrite, RollupChanges};
use podcastflow_store::repo::episodes::EpisodeRepo;
use podcastflow_store::repo::inventory::InventoryRepo;
use podcastflow_store::repo::shows::ShowRepo;
use podcastflow_store::table::MAX_TRANSACT_ITEMS;

/// Lines counted between checkpoints.
pub const CHUNK_LINES: usize = 20_000;

/// User agents whose rule is remembered, at most (a log has hundreds; a hostile one, more).
const MAX_AGENTS: usize = 100_000;

/// How often a batch of ledgers is read and counted again after a concurrent write moved one.
const ATTEMPTS: u32 = 8;

/// Why reading stopped.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    /// The table failed (or kept moving under us): the invocation fails and is retried.
    #[error(transparent)]
    Store(#[from] RepoError),
}

impl From<podcastflow_store::StoreError> for IngestError {
    fn from(e: podcastflow_store::StoreError) -> Self {
        IngestError::Store(e.into())
    }
}

/// The line format, found from a file's first line.
enum Format {
    CloudFront(Box<CloudFront>),
    JsonLines,
}

/// The episode a request is for, with what counting needs of it.
pub struct Target {
    /// The episode.
    pub episode: Episode,
    /// Its audio.
    pub file: EpisodeFile,
    /// The booked line each ad marker plays, by marker.
    pub lines: Vec<Option<(CampaignId, OrderId, u32)>>,
}

/// An organization's matching and counting rules, read once per invocation.
pub struct Counter<'a> {
    t: &'a TenantTable,
    zone: Tz,
    method: WindowMethod,
    bots: BotList,
    hosts: HashMap<String, Vec<ShowId>>,
    show_episodes: HashMap<ShowId, Vec<Arc<Target>>>,
    urls: HashMap<(String, String), Option<Arc<Target>>>,
    keyers: HashMap<(i32, u32), Keyer>,
    agents: HashMap<Arc<str>, Option<Dropped>>,
    format: Option<Format>,
}

/// One chunk's kept requests: episode -> listener -> what they were served.
type Kept = HashMap<EpisodeId, HashMap<String, Vec<Served>>>;

impl<'a> Counter<'a> {
    /// The rules of `org`, whose shows are read now.
    pub async fn new(t: &'a TenantTable, org: &Organization) -> Result<Counter<'a>, IngestError> {
        let zone: Tz = org.settings.timezone.parse().unwrap_or(Tz::UTC);
        let mut hosts: HashMap<String, Vec<ShowId>> = HashMap::new();
        let mut cursor = None;
        loop {
            let page = ShowRepo::new(t).list(None, cursor.as_deref(), 100).await?;
            for s in &page.items {
                add_hosts(&mut hosts, s);
            }
            match page.cursor {
                Some(c) => cursor = Some(c),
                None => break,
            }
        }
        Ok(Counter {
            t,
            zone,
            method: org.settings.delivery.method(zone),
            bots: org.settings.delivery.bots(),
            hosts,
            show_episodes: HashMap::new(),
            urls: HashMap::new(),
            keyers: HashMap::new(),
            agents: HashMap::new(),
            format: None,
        })
    }

    async fn episodes_of(&mut self, show: ShowId) -> Result<Vec<Arc<Target>>, IngestError> {
        if let Some(e) = self.show_episodes.get(&show) {
            return Ok(e.clone());
        }
        let mut out = Vec::new();
        let mut cursor = None;
        loop {
            let page = EpisodeRepo::new(self.t).list_by_show(&show, None, cursor.as_deref(), 100).await?;
            for e in page.items.into_iter().filter(|e| !e.enclosure_urls.is_empty()) {
                out.push(Arc::new(self.target(e).await?));
            }
            match page.cursor {
                Some(c) => cursor = Some(c),
                None => break,
            }
        }
        self.show_episodes.insert(show, out.clone());
        Ok(out)
    }

    async fn target(&self, episode: Episode) -> Result<Target, IngestError> {
        let claims = InventoryRepo::new(self.t).episode_claims(&episode.id).await?;
        let booked: HashMap<SpotRef, (CampaignId, OrderId, u32)> = claims
            .into_iter()
            .filter_map(|c| match c.claim {
                Claim::Booked { order_id, line, campaign_id, .. } => Some((c.spot, (campaign_id, order_id, line))),
                _ => None,
            })
            .collect();
        let lines = episode.marker_spots().into_iter().map(|s| s.and_then(|s| booked.get(&s).copied())).collect();
        Ok(Target { file: episode.audio_file(), episode, lines })
    }

    /// The episode `host` and `path` serve, if any.
    async fn episode_for(&mut self, host: &str, path: &str) -> Result<Option<Arc<Target>>, IngestError> {
        let url = (host.to_owned(), path.to_owned());
        if let Some(t) = self.urls.get(&url) {
            return Ok(t.clone());
        }
        let mut found = None;
        for show in self.hosts.get(host).cloned().unwrap_or_default() {
            if let Some(t) = self.episodes_of(show).await?.into_iter().find(|t| t.episode.serves(host, path)) {
                found = Some(t);
                break;
            }
        }
        self.urls.insert(url, found.clone());
        Ok(found)
    }

    /// The listener keyer of the month of `at` (its secret read, or made, once).
    async fn keyer(&mut self, at: DateTime<Utc>) -> Result<&Keyer, IngestError> {
        // Looked up per kept request: by numbers, the month's name made only the first time.
        let month = (at.year(), at.month());
        if !self.keyers.contains_key(&month) {
            let secret = self.secret(&at.format("%Y-%m").to_string()).await?;
            self.keyers.insert(month, Keyer::new(&secret));
        }
        self.keyers.get(&month).ok_or_else(|| RepoError::Conflict("listener secret").into())
    }

    async fn secret(&mut self, month: &str) -> Result<Vec<u8>, IngestError> {
        let mut candidate = [0u8; 32];
        getrandom::fill(&mut candidate)
            .map_err(|e| RepoError::Store(podcastflow_store::StoreError::Unavailable(e.to_string())))?;
        Ok(DeliveryRepo::new(self.t).secret(month, &candidate).await?)
    }

    /// Reads one line: the request, `None` for a comment or blank line, or why it is bad.
    fn parse(&mut self, line: &str) -> Result<Option<LoggedRequest>, BadLine> {
        let format = self.format.get_or_insert_with(|| {
            if line.trim_start().starts_with('{') { Format::JsonLines } else { Format::CloudFront(Box::default()) }
        });
        match format {
            Format::CloudFront(c) => c.line(line),
            Format::JsonLines => json_line(line),
        }
    }

    /// Reads a line of a part already counted: only what sets the format's state (its `#Fields`).
    pub fn skip(&mut self, line: &str) {
        if line.starts_with('#') || self.format.is_none() {
            let _ = self.parse(line);
        }
    }

    /// Counts `lines` into the ledger and `file`'s counts.
    pub async fn count(&mut self, lines: &[String], file: &mut LogFile) -> Result<(), IngestError> {
        let mut kept: Kept = HashMap::new();
        let mut targets: HashMap<EpisodeId, Arc<Target>> = HashMap::new();
        for line in lines {
            let logged = match self.parse(line) {
                Ok(Some(l)) => l,
                Ok(None) => continue,
                Err(bad) => {
                    *file.counts.bad_lines.entry(bad.to_string()).or_default() += 1;
                    continue;
                }
            };
            file.counts.requests += 1;
            let Some(target) = self.episode_for(&logged.host, &logged.path).await? else {
                file.counts.unmatched += 1;
                continue;
            };
            let r = &logged.request;
            if self.agents.len() >= MAX_AGENTS {
                self.agents.clear();
            }
            let (agents, bots) = (&mut self.agents, &self.bots);
            let agent = || *agents.entry(r.user_agent.clone()).or_insert_with(|| user_agent_rule(&r.user_agent, bots));
            if let Err(rule) = verdict_with(r, agent) {
                let name = serde_json::to_value(rule).ok().and_then(|v| v.as_str().map(str::to_owned));
                *file.counts.dropped.entry(name.unwrap_or_default()).or_default() += 1;
                continue;
            }
            file.counts.kept += 1;
            let who = self.keyer(r.at).await?.key(&r.ip, &r.user_agent);
            let id = target.episode.id;
            kept.entry(id).or_default().entry(who).or_default().push(Served::of(r));
            targets.entry(id).or_insert(target);
        }
        for (episode, listeners) in kept {
            if let Some(target) = targets.get(&episode) {
                self.apply(target, listeners).await?;
            }
        }
        Ok(())
    }

    /// Merges each listener's requests into their ledger and writes what changed.
    async fn apply(&self, target: &Target, mut listeners: HashMap<String, Vec<Served>>) -> Result<(), IngestError> {
        let repo = DeliveryRepo::new(self.t);
        let org = *self.t.org();
        for _ in 0..ATTEMPTS {
            if listeners.is_empty() {
                return Ok(());
            }
            let names: Vec<String> = listeners.keys().cloned().collect();
            let stored = repo.ledgers(&target.episode.id, &names).await?;
            let mut batch: Vec<(String, LedgerWrite, RollupChanges)> = Vec::new();
            for (name, served) in &listeners {
                let mut s = stored.get(name).cloned().unwrap_or_default();
                let last = served.iter().map(|r| r.at).max().unwrap_or_else(Utc::now);
                if !s.ledger.merge(served.iter().copied()) && s.version > 0 {
                    continue;
                }
                let counted = s.ledger.recount(&target.file, self.method);
                let moved = changes(&s.ledger.counted, &counted, self.zone);
                s.ledger.counted = counted;
                let mut rollups = RollupChanges::new();
                for (day, c) in moved {
                    let episode_day =
                        Key::new(records::episode_rollup_pk(&org, &target.episode.id), records::day_sk(day));
                    let show_day =
                        Key::new(records::show_rollup_pk(&org, &target.episode.show_id), records::day_sk(day));
                    add(&mut rollups, &episode_day, "downloads", c.downloads);
                    add(&mut rollups, &episode_day, "listeners", c.listeners);
                    add(&mut rollups, &show_day, "downloads", c.downloads);
                    for (ad, n) in &c.ads {
                        add(&mut rollups, &episode_day, &records::ad_attribute(*ad), *n);
                        add(&mut rollups, &show_day, "adDeliveries", *n);
                        if let Some(Some((campaign, order, line))) = target.lines.get(*ad) {
                            let k = records::line_rollup_key(&org, campaign, day, order, *line);
                            add(&mut rollups, &k, "impressions", *n);
                        }
                    }
                }
                let expires_at = last.max(Utc::now()) + Duration::days(LEDGER_DAYS);
                let write = LedgerWrite {
                    episode: target.episode.id,
                    listener: name.clone(),
                    ledger: s.ledger,
                    expected: s.version,
                    expires_at,
                };
                batch.push((name.clone(), write, rollups));
            }
            let mut retry = HashMap::new();
            for group in transactions(batch) {
                let writes: Vec<LedgerWrite> = group.iter().map(|(_, w, _)| w.clone()).collect();
                let mut merged = RollupChanges::new();
                for (_, _, r) in &group {
                    merge(&mut merged, r);
                }
                if !repo.apply(&writes, &merged).await? {
                    for (name, _, _) in group {
                        if let Some(s) = listeners.get(&name) {
                            retry.insert(name, s.clone());
                        }
                    }
                }
            }
            listeners = retry;
        }
        if listeners.is_empty() {
            Ok(())
        } else {
            Err(RepoError::Conflict("listeners' ledgers kept moving under concurrent ingests").into())
        }
    }
}

fn add_hosts(hosts: &mut HashMap<String, Vec<ShowId>>, s: &Show) {
    for h in &s.feed_hosts {
        hosts.entry(h.clone()).or_default().push(s.id);
    }
}

fn add(rollups: &mut RollupChanges, key: &Key, name: &str, by: i64) {
    if by != 0 {
        *rollups.entry(key.clone()).or_default().entry(name.to_owned()).or_default() += by;
    }
}

fn merge(into: &mut RollupChanges, from: &RollupChanges) {
    for (k, attrs) in from {
        for (name, by) in attrs {
            add(into, k, name, *by);
        }
    }
}

/// Groups listeners' writes into transactions: each holds its ledgers and the distinct rollup
/// items they move, at most [`MAX_TRANSACT_ITEMS`] in all.
fn transactions(batch: Vec<(String, LedgerWrite, RollupChanges)>) -> Vec<Vec<(String, LedgerWrite, RollupChanges)>> {
    let mut out: Vec<Vec<(String, LedgerWrite, RollupChanges)>> = Vec::new();
    let mut current: Vec<(String, LedgerWrite, RollupChanges)> = Vec::new();
    let mut keys: BTreeMap<Key, ()> = BTreeMap::new();
    for entry in batch {
        let new_keys = entry.2.keys().filter(|k| !keys.contains_key(*k)).count();
        if !current.is_empty() && current.len() + 1 + keys.len() + new_keys > MAX_TRANSACT_ITEMS {
            out.push(std::mem::take(&mut current));
            keys.clear();
        }
        for k in entry.2.keys() {
            keys.insert(k.clone(), ());
        }
        current.push(entry);
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}
