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
//!
//! Steps 1-3 need no ledger, so they are the [`Judge`]'s, and step 4 is the [`Ledgers`]': the
//! reader judges the next chunk while the last one's ledgers are written (see `read` in lib.rs),
//! and the one vCPU counts instead of waiting for DynamoDB.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use std::io::{BufWriter, Write};

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use chrono_tz::Tz;
use flate2::Compression;
use flate2::write::GzEncoder;
use futures::StreamExt;
use podcastflow_domain::delivery::count::Served;
use podcastflow_domain::delivery::evidence::{Decision, EvidenceLine};
use podcastflow_domain::delivery::file::EpisodeFile;
use podcastflow_domain::delivery::filters::{BotList, Dropped, user_agent_rule, verdict_with};
use podcastflow_domain::delivery::ledger::changes;
use podcastflow_domain::delivery::listener::Keyer;
use podcastflow_domain::delivery::logs::{BadLine, CloudFront, LoggedRequest, json_line};
use podcastflow_domain::delivery::records::{self, FileCounts, LEDGER_DAYS};
use podcastflow_domain::delivery::windows::WindowMethod;
use podcastflow_domain::episode::Episode;
use podcastflow_domain::inventory::spot::{Claim, SpotRef};
use podcastflow_domain::keys::Key;
use podcastflow_domain::organization::Organization;
use podcastflow_domain::show::Show;
use podcastflow_domain::{CampaignId, EpisodeId, OrderId, OrgId, ShowId};
use podcastflow_store::TenantTable;
use podcastflow_store::repo::RepoError;
use podcastflow_store::repo::delivery::{DeliveryRepo, LedgerWrite, RollupChanges, StoredLedger};
use podcastflow_store::repo::episodes::EpisodeRepo;
use podcastflow_store::repo::inventory::InventoryRepo;
use podcastflow_store::repo::shows::ShowRepo;
use podcastflow_store::table::MAX_TRANSACT_ITEMS;

use crate::lines::{gzip_finish, gzip_writer};

/// Lines counted between checkpoints.
pub const CHUNK_LINES: usize = 20_000;

/// Lines judged between yields to the chunk being written, whose answers then get the thread.
const LINES_PER_YIELD: usize = 64;

/// User agents whose rule is remembered, at most (a log has hundreds; a hostile one, more).
const MAX_AGENTS: usize = 100_000;

/// How often a batch of ledgers is read and counted again after a concurrent write moved one.
const ATTEMPTS: u32 = 8;

/// Transactions in flight at once: one per rollup shard, so each slot's transactions add to a
/// shard of their own and never contend with one another for a rollup item. At 50 ms a
/// transaction of about 98 ledgers that is some 60,000 ledgers a second.
const SLOTS: usize = records::ROLLUP_SHARDS as usize;

/// Batch reads of ledgers in flight at once (reads contend for nothing).
const READS: usize = 2 * SLOTS;

/// Ledgers read per batch read.
const LEDGERS_PER_READ: usize = 100;

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

/// An organization's matching and filtering rules, read once per invocation: what a line is,
/// which episode it asks for, and whether it is kept. It reads only shows, episodes and the
/// month's listener secret, never a ledger.
pub struct Judge<'a> {
    t: &'a TenantTable,
    bots: BotList,
    hosts: HashMap<String, Vec<ShowId>>,
    show_episodes: HashMap<ShowId, Vec<Arc<Target>>>,
    urls: HashMap<(String, String), Option<Arc<Target>>>,
    keyers: HashMap<(i32, u32), Keyer>,
    agents: HashMap<Arc<str>, Option<Dropped>>,
    format: Option<Format>,
}

/// An organization's counting rules and its ledgers: merges a chunk's kept requests into them.
pub struct Ledgers<'a> {
    t: &'a TenantTable,
    zone: Tz,
    method: WindowMethod,
    shard_base: u32,
}

/// One chunk's kept requests: episode -> listener -> what they were served.
type Kept = HashMap<EpisodeId, HashMap<String, Vec<Served>>>;

/// A chunk's kept requests by episode and listener, with the episodes they are for.
pub struct KeptRequests {
    by_episode: Kept,
    targets: HashMap<EpisodeId, Arc<Target>>,
}

impl KeptRequests {
    /// `listeners` of `target`'s episode with nothing new: their ledgers are only counted again
    /// (a recount under the organization's current window).
    pub fn again(target: Arc<Target>, listeners: impl IntoIterator<Item = String>) -> KeptRequests {
        let id = target.episode.id;
        let by_episode = HashMap::from([(id, listeners.into_iter().map(|l| (l, Vec::new())).collect())]);
        KeptRequests { by_episode, targets: HashMap::from([(id, target)]) }
    }
}

/// One chunk judged: what it keeps for the ledgers, its evidence and its counts, to be written
/// before the chunk's checkpoint.
pub struct Judged {
    /// What the ledgers take.
    pub kept: KeptRequests,
    /// The evidence of every request matched to an episode, per episode and UTC day.
    pub evidence: Vec<Evidence>,
    /// What the chunk held.
    pub counts: FileCounts,
    /// Its lines.
    pub lines: u64,
}

/// The rules of `org`, whose shows are read now.
pub async fn rules<'a>(t: &'a TenantTable, org: &Organization) -> Result<(Judge<'a>, Ledgers<'a>), IngestError> {
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
    let judge = Judge {
        t,
        bots: org.settings.delivery.bots(),
        hosts,
        show_episodes: HashMap::new(),
        urls: HashMap::new(),
        keyers: HashMap::new(),
        agents: HashMap::new(),
        format: None,
    };
    let ledgers = Ledgers { t, zone, method: org.settings.delivery.method(zone), shard_base: random_shard() };
    Ok((judge, ledgers))
}

impl<'a> Judge<'a> {
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

    /// Every episode with an enclosure URL of every show with a feed host (the episodes a
    /// ledger can be kept for), in id order.
    pub async fn targets(&mut self) -> Result<Vec<Arc<Target>>, IngestError> {
        let shows: HashSet<ShowId> = self.hosts.values().flatten().copied().collect();
        let mut out = Vec::new();
        for show in shows {
            out.extend(self.episodes_of(show).await?);
        }
        out.sort_by_key(|t| t.episode.id);
        Ok(out)
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

    /// Judges `lines`: each request read, matched, filtered and keyed by its listener, with its
    /// evidence. Yields every [`LINES_PER_YIELD`] lines, so a chunk being written meanwhile on the
    /// same thread sends its next requests as soon as the last ones are answered.
    pub async fn judge(&mut self, lines: &[String]) -> Result<Judged, IngestError> {
        let mut counts = FileCounts::default();
        let mut kept: Kept = HashMap::new();
        let mut targets: HashMap<EpisodeId, Arc<Target>> = HashMap::new();
        let mut evidence: HashMap<(EpisodeId, NaiveDate), Evidence> = HashMap::new();
        for (i, line) in lines.iter().enumerate() {
            if i % LINES_PER_YIELD == LINES_PER_YIELD - 1 {
                tokio::task::yield_now().await;
            }
            let logged = match self.parse(line) {
                Ok(Some(l)) => l,
                Ok(None) => continue,
                Err(bad) => {
                    *counts.bad_lines.entry(bad.to_string()).or_default() += 1;
                    continue;
                }
            };
            counts.requests += 1;
            let Some(target) = self.episode_for(&logged.host, &logged.path).await? else {
                counts.unmatched += 1;
                continue;
            };
            let r = &logged.request;
            if self.agents.len() >= MAX_AGENTS {
                self.agents.clear();
            }
            let (agents, bots) = (&mut self.agents, &self.bots);
            let agent = || *agents.entry(r.user_agent.clone()).or_insert_with(|| user_agent_rule(&r.user_agent, bots));
            let verdict = verdict_with(r, agent);
            let who = self.keyer(r.at).await?.key(&r.ip, &r.user_agent);
            let id = target.episode.id;
            let sheet = evidence.entry((id, r.at.date_naive())).or_insert_with(|| Evidence::new(id, r.at.date_naive()));
            sheet.add(&EvidenceLine::of(r, id, who.clone(), verdict.err()));
            if let Err(rule) = verdict {
                *counts.dropped.entry(rule.name().to_owned()).or_default() += 1;
                continue;
            }
            counts.kept += 1;
            kept.entry(id).or_default().entry(who).or_default().push(Served::of(r));
            targets.entry(id).or_insert(target);
        }
        Ok(Judged {
            kept: KeptRequests { by_episode: kept, targets },
            evidence: evidence.into_values().collect(),
            counts,
            lines: lines.len() as u64,
        })
    }
}

impl<'a> Ledgers<'a> {
    /// The organization's table.
    pub fn table(&self) -> &'a TenantTable {
        self.t
    }

    /// Reads the ledgers of `pending`'s listeners, [`READS`] batches at a time.
    async fn read_ledgers(&self, pending: &Kept) -> Result<HashMap<(EpisodeId, String), StoredLedger>, IngestError> {
        let repo = DeliveryRepo::new(self.t);
        let batches: Vec<(EpisodeId, Vec<String>)> = pending
            .iter()
            .flat_map(|(episode, listeners)| {
                let names: Vec<String> = listeners.keys().cloned().collect();
                names.chunks(LEDGERS_PER_READ).map(|c| (*episode, c.to_vec())).collect::<Vec<_>>()
            })
            .collect();
        let repo = &repo;
        let reads: Vec<_> = batches
            .into_iter()
            .map(|(episode, names)| async move { repo.ledgers(&episode, &names).await.map(|got| (episode, got)) })
            .collect();
        let mut reads = futures::stream::iter(reads).buffer_unordered(READS);
        let mut out = HashMap::new();
        while let Some(got) = reads.next().await {
            let (episode, got) = got?;
            out.extend(got.into_iter().map(|(name, l)| ((episode, name), l)));
        }
        Ok(out)
    }

    /// A listener's write and the rollup changes it makes, or `None` when their ledger already
    /// held every request and counts the same under the current window.
    fn recount(&self, target: &Target, stored: StoredLedger, served: &[Served], name: &str) -> Option<Pending> {
        let mut s = stored;
        let last = served.iter().map(|r| r.at).max().unwrap_or_else(Utc::now);
        let merged = s.ledger.merge(served.iter().copied());
        if !merged && s.version == 0 {
            // No ledger (never kept, or expired) and nothing new: nothing to count.
            return None;
        }
        let counted = s.ledger.recount(&target.file, self.method);
        if !merged && counted == s.ledger.counted {
            // Every request already held, and counted the same under the current window.
            return None;
        }
        let moved = changes(&s.ledger.counted, &counted, self.zone);
        s.ledger.counted = counted;
        let mut rollups = Vec::new();
        let (episode, show) = (target.episode.id, target.episode.show_id);
        for (day, c) in moved {
            let (episode_day, show_day) = (RollupAt::Episode(episode, day), RollupAt::Show(show, day));
            rollups.push((episode_day, Tally::Downloads, c.downloads));
            rollups.push((episode_day, Tally::Listeners, c.listeners));
            rollups.push((show_day, Tally::Downloads, c.downloads));
            for (ad, n) in &c.ads {
                rollups.push((episode_day, Tally::Ad(*ad), *n));
                rollups.push((show_day, Tally::AdDeliveries, *n));
                if let Some(Some((campaign, order, line))) = target.lines.get(*ad) {
                    rollups.push((RollupAt::Line(*campaign, day, *order, *line), Tally::Impressions, *n));
                }
            }
        }
        rollups.retain(|(_, _, by)| *by != 0);
        let expires_at = last.max(Utc::now()) + Duration::days(LEDGER_DAYS);
        let write = LedgerWrite {
            episode: target.episode.id,
            listener: name.to_owned(),
            ledger: s.ledger,
            expected: s.version,
            expires_at,
        };
        Some(Pending { write, rollups })
    }

    /// Merges each listener's kept requests into their ledger and writes what changed:
    /// transactions of listeners of any episode, [`SLOTS`] at once, each adding to its own rollup
    /// shard. A chunk's evidence and counts are the caller's to store. The ledgers written.
    pub async fn write(&self, kept: KeptRequests) -> Result<u64, IngestError> {
        let KeptRequests { by_episode: mut pending, targets } = kept;
        let mut written = 0;
        for _ in 0..ATTEMPTS {
            pending.retain(|_, listeners| !listeners.is_empty());
            if pending.is_empty() {
                return Ok(written);
            }
            let mut stored = self.read_ledgers(&pending).await?;
            let mut batch = Vec::new();
            for (episode, listeners) in &pending {
                let Some(target) = targets.get(episode) else { continue };
                for (name, served) in listeners {
                    let s = stored.remove(&(*episode, name.clone())).unwrap_or_default();
                    batch.extend(self.recount(target, s, served, name));
                }
            }
            let mut by_slot: Vec<Vec<Vec<Pending>>> = (0..SLOTS).map(|_| Vec::new()).collect();
            for (i, group) in transactions(batch).into_iter().enumerate() {
                by_slot[i % SLOTS].push(group);
            }
            let slots = by_slot.into_iter().enumerate().map(|(slot, groups)| {
                let shard = self.shard_base + slot as u32;
                async move {
                    let repo = DeliveryRepo::new(self.t);
                    let (mut failed, mut done) = (Vec::new(), 0u64);
                    for group in groups {
                        let changes = sharded(self.t.org(), &group, shard);
                        let writes: Vec<LedgerWrite> = group.into_iter().map(|p| p.write).collect();
                        if repo.apply(&writes, &changes).await? {
                            done += writes.len() as u64;
                        } else {
                            failed.extend(writes.into_iter().map(|w| (w.episode, w.listener)));
                        }
                    }
                    Ok::<_, IngestError>((failed, done))
                }
            });
            let mut retry: Kept = HashMap::new();
            for outcome in futures::future::join_all(slots).await {
                let (failed, done) = outcome?;
                written += done;
                for (episode, name) in failed {
                    if let Some(served) = pending.get_mut(&episode).and_then(|l| l.remove(&name)) {
                        retry.entry(episode).or_default().insert(name, served);
                    }
                }
            }
            pending = retry;
        }
        pending.retain(|_, listeners| !listeners.is_empty());
        if pending.is_empty() {
            Ok(written)
        } else {
            Err(RepoError::Conflict("listeners' ledgers kept moving under concurrent ingests").into())
        }
    }
}

/// The evidence of one chunk's requests for one episode on one UTC day: gzip JSON Lines.
pub struct Evidence {
    /// The episode.
    pub episode: EpisodeId,
    /// The day.
    pub day: NaiveDate,
    /// Requests kept.
    pub kept: u64,
    /// Requests dropped.
    pub dropped: u64,
    gzip: BufWriter<GzEncoder<Vec<u8>>>,
}

impl Evidence {
    fn new(episode: EpisodeId, day: NaiveDate) -> Self {
        Evidence { episode, day, kept: 0, dropped: 0, gzip: gzip_writer(Vec::new(), Compression::fast()) }
    }

    fn add(&mut self, line: &EvidenceLine) {
        match line.decision {
            Decision::Kept => self.kept += 1,
            Decision::Dropped => self.dropped += 1,
        }
        // Writing to memory fails only when memory does.
        if serde_json::to_writer(&mut self.gzip, line).is_ok() {
            let _ = self.gzip.write_all(b"\n");
        }
    }

    /// The gzip bytes.
    pub fn finish(self) -> std::io::Result<Vec<u8>> {
        gzip_finish(self.gzip)
    }
}

/// One listener's ledger to write and the rollup changes its new count makes.
struct Pending {
    write: LedgerWrite,
    rollups: Vec<(RollupAt, Tally, i64)>,
}

/// A rollup item a count moves (an episode, show or order line on a day), by value: its key's strings are made once per transaction, not
/// once per listener.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum RollupAt {
    Episode(EpisodeId, NaiveDate),
    Show(ShowId, NaiveDate),
    Line(CampaignId, NaiveDate, OrderId, u32),
}

impl RollupAt {
    /// The item's key in `shard`.
    fn key(&self, org: &OrgId, shard: u32) -> Key {
        let key = match self {
            RollupAt::Episode(e, day) => Key::new(records::episode_rollup_pk(org, e), records::day_sk(*day)),
            RollupAt::Show(s, day) => Key::new(records::show_rollup_pk(org, s), records::day_sk(*day)),
            RollupAt::Line(c, day, o, line) => records::line_rollup_key(org, c, *day, o, *line),
        };
        records::shard_key(&key, shard)
    }
}

/// A counted attribute of a rollup item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum Tally {
    Downloads,
    Listeners,
    Ad(usize),
    AdDeliveries,
    Impressions,
}

impl Tally {
    fn name(self) -> String {
        match self {
            Tally::Downloads => "downloads".to_owned(),
            Tally::Listeners => "listeners".to_owned(),
            Tally::Ad(n) => records::ad_attribute(n),
            Tally::AdDeliveries => "adDeliveries".to_owned(),
            Tally::Impressions => "impressions".to_owned(),
        }
    }
}

/// The rollup changes of `group`'s listeners summed, keyed in `shard`.
fn sharded(org: &OrgId, group: &[Pending], shard: u32) -> RollupChanges {
    let mut sums: BTreeMap<RollupAt, BTreeMap<Tally, i64>> = BTreeMap::new();
    for (at, tally, by) in group.iter().flat_map(|p| &p.rollups) {
        *sums.entry(*at).or_default().entry(*tally).or_default() += by;
    }
    let mut out = RollupChanges::new();
    for (at, tallies) in sums {
        let attrs: BTreeMap<String, i64> =
            tallies.into_iter().filter(|(_, by)| *by != 0).map(|(t, by)| (t.name(), by)).collect();
        if !attrs.is_empty() {
            out.insert(at.key(org, shard), attrs);
        }
    }
    out
}

/// Where this invocation's slots start among the rollup shards: invocations reading other files
/// at the same time most likely start elsewhere.
fn random_shard() -> u32 {
    let mut b = [0u8; 4];
    match getrandom::fill(&mut b) {
        Ok(()) => u32::from_le_bytes(b) % records::ROLLUP_SHARDS,
        Err(_) => 0,
    }
}

fn add_hosts(hosts: &mut HashMap<String, Vec<ShowId>>, s: &Show) {
    for h in &s.feed_hosts {
        hosts.entry(h.clone()).or_default().push(s.id);
    }
}

/// Groups listeners' writes into transactions: each holds its ledgers and the distinct rollup
/// items they move, at most [`MAX_TRANSACT_ITEMS`] in all.
fn transactions(batch: Vec<Pending>) -> Vec<Vec<Pending>> {
    let mut out: Vec<Vec<Pending>> = Vec::new();
    let mut current: Vec<Pending> = Vec::new();
    let mut keys: HashSet<RollupAt> = HashSet::new();
    let mut new_keys: Vec<RollupAt> = Vec::new();
    for entry in batch {
        new_keys.clear();
        for (at, _, _) in &entry.rollups {
            if !keys.contains(at) && !new_keys.contains(at) {
                new_keys.push(*at);
            }
        }
        if !current.is_empty() && current.len() + 1 + keys.len() + new_keys.len() > MAX_TRANSACT_ITEMS {
            out.push(std::mem::take(&mut current));
            keys.clear();
        }
        keys.extend(entry.rollups.iter().map(|(at, _, _)| *at));
        current.push(entry);
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use chrono::TimeZone;
    use podcastflow_domain::episode::EpisodeStatus;
    use podcastflow_domain::{Stamp, UserId};
    use podcastflow_store::CursorCodec;
    use podcastflow_store::embedded::EmbeddedTable;

    use super::*;

    const SIZE: u64 = 30_000_000;

    fn target() -> Target {
        let episode = Episode {
            id: EpisodeId::new(),
            org_id: OrgId::new(),
            show_id: ShowId::new(),
            title: "Pilot".into(),
            number: Some(1),
            air_date: None,
            recording_date: None,
            duration_seconds: Some(1800),
            talent_ids: vec![],
            status: EpisodeStatus::Draft,
            published_at: None,
            enclosure_urls: vec![],
            file_size_bytes: Some(SIZE),
            header_bytes: Some(10_000),
            ad_markers: vec![],
            stamp: Stamp::created(UserId::new(), Utc::now()),
        };
        Target { file: episode.audio_file(), episode, lines: vec![] }
    }

    #[tokio::test]
    async fn a_ledger_is_written_only_when_it_gains_a_request_or_its_count_moves() {
        let dir = tempfile::tempdir().unwrap();
        let t = TenantTable::new(
            Arc::new(EmbeddedTable::open(dir.path()).unwrap()),
            OrgId::new(),
            CursorCodec::new(b"s".to_vec()),
        );
        let ledgers = |method| Ledgers { t: &t, zone: Tz::UTC, method, shard_base: 0 };
        let calendar = ledgers(WindowMethod::CalendarDay { zone: Tz::UTC });
        let target = target();
        let at = Utc.with_ymd_and_hms(2026, 12, 7, 22, 0, 0).single().unwrap();
        let whole = [Served { at, span: Some((0, SIZE)), whole: true }];

        // No ledger and nothing new: nothing to write (a recount's listener whose ledger expired).
        assert!(calendar.recount(&target, StoredLedger::default(), &[], "l").is_none());
        // A first request: the ledger, and a download on its day.
        let first = calendar.recount(&target, StoredLedger::default(), &whole, "l").expect("a write");
        let day = at.date_naive();
        let downloads: i64 = first
            .rollups
            .iter()
            .filter(|(at, tally, _)| *at == RollupAt::Episode(target.episode.id, day) && *tally == Tally::Downloads)
            .map(|(_, _, by)| *by)
            .sum();
        assert_eq!(downloads, 1, "{:?}", first.rollups);
        let stored = StoredLedger { ledger: first.write.ledger.clone(), version: 1 };
        // The same request again, or none, in the same window: nothing to write.
        assert!(calendar.recount(&target, stored.clone(), &whole, "l").is_none());
        assert!(calendar.recount(&target, stored.clone(), &[], "l").is_none());
        // In another window the download opens at the request, not at midnight: written again.
        let moved = ledgers(WindowMethod::FirstTouch).recount(&target, stored, &[], "l").expect("a write");
        assert_eq!((moved.write.expected, moved.write.ledger.served.len()), (1, 1));
        assert_ne!(moved.write.ledger.counted, first.write.ledger.counted);
    }
}
