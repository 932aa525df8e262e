//! EventBridge schedules: `rate(...)` and `cron(...)` expressions and the scheduled events fired
//! for them, in UTC as EventBridge evaluates them.

use std::str::FromStr;

use chrono::{DateTime, Duration, Utc};
use croner::Cron;
use croner::parser::{CronParser, Seconds, Year};
use serde_json::{Value, json};
use thiserror::Error;
use tokio::sync::watch;

use crate::functions::EventHandler;
use crate::template::ScheduleSource;

/// Why an expression is refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("invalid schedule expression {expression:?}: {reason}")]
pub struct ScheduleError {
    /// The expression.
    pub expression: String,
    /// Why.
    pub reason: String,
}

/// A parsed schedule expression.
#[derive(Debug, Clone)]
pub enum Schedule {
    /// Every interval, counted from when the schedule was created.
    Rate(Duration),
    /// At the times a cron pattern matches (minute hour day-of-month month day-of-week year).
    Cron(Box<Cron>),
}

impl FromStr for Schedule {
    type Err = ScheduleError;

    fn from_str(expression: &str) -> Result<Self, ScheduleError> {
        let fail = |reason: &str| ScheduleError { expression: expression.to_owned(), reason: reason.to_owned() };
        let e = expression.trim();
        if let Some(inner) = e.strip_prefix("rate(").and_then(|r| r.strip_suffix(')')) {
            let mut parts = inner.split_whitespace();
            let n: i64 = parts
                .next()
                .and_then(|n| n.parse().ok())
                .filter(|n| *n > 0)
                .ok_or_else(|| fail("rate needs a positive number"))?;
            let unit = parts.next().ok_or_else(|| fail("rate needs a unit"))?;
            if parts.next().is_some() {
                return Err(fail("rate takes a number and a unit"));
            }
            // EventBridge wants the singular for 1 and the plural otherwise.
            let (singular, plural) = (n == 1, n != 1);
            let d = match unit {
                "minute" if singular => Duration::minutes(n),
                "minutes" if plural => Duration::minutes(n),
                "hour" if singular => Duration::hours(n),
                "hours" if plural => Duration::hours(n),
                "day" if singular => Duration::days(n),
                "days" if plural => Duration::days(n),
                _ => return Err(fail("unit must be minute(s), hour(s) or day(s), singular only for 1")),
            };
            return Ok(Schedule::Rate(d));
        }
        if let Some(inner) = e.strip_prefix("cron(").and_then(|r| r.strip_suffix(')')) {
            let fields: Vec<&str> = inner.split_whitespace().collect();
            if fields.len() != 6 {
                return Err(fail("cron takes six fields: minutes hours day-of-month month day-of-week year"));
            }
            if (fields[2] == "?") == (fields[4] == "?") {
                return Err(fail("exactly one of day-of-month and day-of-week must be ?"));
            }
            // EventBridge numbers weekdays 1 (Sunday) to 7 (Saturday), like Quartz.
            // croner takes the year only after a seconds field; EventBridge fires on the minute.
            let parser = CronParser::builder()
                .seconds(Seconds::Required)
                .year(Year::Required)
                .alternative_weekdays(true)
                .build();
            let cron = parser.parse(&format!("0 {}", fields.join(" "))).map_err(|err| fail(&err.to_string()))?;
            return Ok(Schedule::Cron(Box::new(cron)));
        }
        Err(fail("expected rate(...) or cron(...)"))
    }
}

impl Schedule {
    /// The first firing strictly after `after`, for a schedule created at `created`.
    pub fn next_after(&self, created: DateTime<Utc>, after: DateTime<Utc>) -> Option<DateTime<Utc>> {
        match self {
            Schedule::Rate(every) => {
                let elapsed = (after - created).num_milliseconds().max(0);
                let step = every.num_milliseconds().max(1);
                Some(created + Duration::milliseconds((elapsed / step + 1) * step))
            }
            Schedule::Cron(c) => c.find_next_occurrence(&after, false).ok(),
        }
    }
}

/// The event EventBridge sends for one firing of a scheduled rule.
pub fn scheduled_event(rule_arn: &str, at: DateTime<Utc>, region: &str) -> Value {
    json!({
        "version": "0",
        "id": ulid::Ulid::new().to_string().to_lowercase(),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": "000000000000",
        "time": at.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        "region": region,
        "resources": [rule_arn],
        "detail": {},
    })
}

/// One template schedule bound to its function.
pub struct Scheduled {
    /// The schedule as the template declares it.
    pub source: ScheduleSource,
    /// Its parsed expression.
    pub schedule: Schedule,
    /// The function it invokes.
    pub handler: EventHandler,
    /// The rule ARN named in its events.
    pub rule_arn: String,
    /// The region named in its events.
    pub region: String,
    /// Added to the system clock (to rehearse a date).
    pub clock_offset: Duration,
}

impl Scheduled {
    /// Fires the function at every firing time until `stop` turns true. Like an asynchronous
    /// Lambda invocation, a failing one is retried twice.
    pub async fn run(self, mut stop: watch::Receiver<bool>) {
        let now = || Utc::now() + self.clock_offset;
        let created = now();
        while let Some(at) = self.schedule.next_after(created, now()) {
            let wait = (at - now()).to_std().unwrap_or_default();
            tokio::select! {
                _ = tokio::time::sleep(wait) => {}
                _ = stop.changed() => break,
            }
            let event = self.source.input.clone().unwrap_or_else(|| scheduled_event(&self.rule_arn, at, &self.region));
            for attempt in 0..3u64 {
                match (self.handler)(event.clone()).await {
                    Ok(_) => break,
                    Err(e) => {
                        let (function, name) = (&self.source.function, &self.source.name);
                        tracing::warn!(%function, schedule = %name, attempt, error = %e, "scheduled invocation failed");
                        if attempt < 2 {
                            tokio::time::sleep(std::time::Duration::from_secs(attempt + 1)).await;
                        }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    fn next(expr: &str, after: &str) -> String {
        let s: Schedule = expr.parse().unwrap();
        s.next_after(t("2026-01-01T00:00:00Z"), t(after)).unwrap().to_rfc3339()
    }

    #[test]
    fn rates_count_from_creation() {
        assert_eq!(next("rate(1 hour)", "2026-01-01T00:00:00Z"), "2026-01-01T01:00:00+00:00");
        assert_eq!(next("rate(1 hour)", "2026-01-01T01:00:00Z"), "2026-01-01T02:00:00+00:00");
        assert_eq!(next("rate(15 minutes)", "2026-01-01T00:20:00Z"), "2026-01-01T00:30:00+00:00");
        assert_eq!(next("rate(2 days)", "2026-01-02T12:00:00Z"), "2026-01-03T00:00:00+00:00");
    }

    #[test]
    fn cron_uses_eventbridge_fields_and_weekdays() {
        // Every hour on the hour.
        assert_eq!(next("cron(0 * * * ? *)", "2026-03-04T10:15:00Z"), "2026-03-04T11:00:00+00:00");
        // 02:30 daily.
        assert_eq!(next("cron(30 2 * * ? *)", "2026-03-04T10:15:00Z"), "2026-03-05T02:30:00+00:00");
        // Mondays (2 = MON in EventBridge) at 09:00; 2026-03-04 is a Wednesday.
        assert_eq!(next("cron(0 9 ? * 2 *)", "2026-03-04T10:15:00Z"), "2026-03-09T09:00:00+00:00");
        assert_eq!(next("cron(0 9 ? * MON *)", "2026-03-04T10:15:00Z"), "2026-03-09T09:00:00+00:00");
        // The 1st of the month at midnight, only in 2027.
        assert_eq!(next("cron(0 0 1 * ? 2027)", "2026-03-04T10:15:00Z"), "2027-01-01T00:00:00+00:00");
    }

    #[test]
    fn malformed_expressions_are_refused() {
        for bad in [
            "rate(0 minutes)",
            "rate(1 minutes)",
            "rate(5 minute)",
            "rate(5 weeks)",
            "rate(five minutes)",
            "cron(0 * * * *)",
            "cron(0 * * * * *)",
            "cron(0 * ? * ? *)",
            "cron(99 * * * ? *)",
            "every hour",
        ] {
            assert!(bad.parse::<Schedule>().is_err(), "{bad}");
        }
    }

    #[test]
    fn scheduled_events_have_eventbridge_shape() {
        let e = scheduled_event("arn:aws:events:us-east-1:000000000000:rule/x", t("2026-01-01T05:00:00Z"), "us-east-1");
        assert_eq!(e["detail-type"], "Scheduled Event");
        assert_eq!(e["time"], "2026-01-01T05:00:00Z");
        let parsed: aws_lambda_events::eventbridge::EventBridgeEvent = serde_json::from_value(e).unwrap();
        assert_eq!(parsed.source, "aws.events");
    }
}
