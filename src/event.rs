//! The output contract (`../shared/spec/events.md`): event and outcome records.
//!
//! These types are the serialisation boundary: everything downstream of the
//! daemon depends on their JSON shape, so field names and the closed
//! vocabularies here change only with a schema version bump.

use serde::{Deserialize, Serialize, Serializer};
use sha2::{Digest, Sha256};

pub const EVENT_SCHEMA: &str = "zhaoshang.event.v1";
pub const OUTCOME_SCHEMA: &str = "zhaoshang.outcome.v1";
/// Stamped on every event so a consumer can tell which rules produced it.
pub const EXTRACTOR_VERSION: &str = env!("CARGO_PKG_VERSION");

/// What happened, from the closed `kind` set of the spec (section 2.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    Signing,
    Target,
    FundsInPlace,
    ConstructionStart,
    Completion,
    Project,
    Attraction,
    PromotionActivity,
    InvestmentProgress,
}

impl EventKind {
    pub const ALL: [EventKind; 9] = [
        EventKind::Signing,
        EventKind::Target,
        EventKind::FundsInPlace,
        EventKind::ConstructionStart,
        EventKind::Completion,
        EventKind::Project,
        EventKind::Attraction,
        EventKind::PromotionActivity,
        EventKind::InvestmentProgress,
    ];

    /// Stable name, also used as a bounded metric label.
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::Signing => "signing",
            EventKind::Target => "target",
            EventKind::FundsInPlace => "funds_in_place",
            EventKind::ConstructionStart => "construction_start",
            EventKind::Completion => "completion",
            EventKind::Project => "project",
            EventKind::Attraction => "attraction",
            EventKind::PromotionActivity => "promotion_activity",
            EventKind::InvestmentProgress => "investment_progress",
        }
    }
}

/// What a measure counts, from the closed `metric` set (section 2.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Metric {
    ProjectCount,
    Amount,
    CompanyCount,
    ActivityCount,
    Percent,
}

impl Metric {
    pub fn as_str(self) -> &'static str {
        match self {
            Metric::ProjectCount => "project_count",
            Metric::Amount => "amount",
            Metric::CompanyCount => "company_count",
            Metric::ActivityCount => "activity_count",
            Metric::Percent => "percent",
        }
    }

    /// Counts are integers on the wire; amounts and percents may be fractional.
    pub fn is_count(self) -> bool {
        matches!(self, Metric::ProjectCount | Metric::CompanyCount | Metric::ActivityCount)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RegionLevel {
    Province,
    City,
    County,
}

/// A GB/T 2260 division with its chain, so consumers never need the code table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Region {
    pub name: String,
    pub adcode: String,
    pub level: RegionLevel,
    pub province: Option<String>,
    pub city: Option<String>,
    pub county: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Period {
    /// The words of the text that gave the period (`2021年`, `上半年`, `今年1-8月`).
    pub text: Option<String>,
    pub year: Option<i32>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Measure {
    pub metric: Metric,
    /// Base units: yuan (not 亿元), plain counts, percent points.
    #[serde(serialize_with = "serialize_number")]
    pub value: f64,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub currency: Option<String>,
    /// The number as written, after normalisation (`1788.02亿元`).
    pub text: String,
}

/// Whole numbers go out as JSON integers (`178802000000`, not `1.78802e11`).
fn serialize_number<S: Serializer>(v: &f64, s: S) -> Result<S::Ok, S::Error> {
    if v.fract() == 0.0 && v.abs() < 9.0e15 {
        s.serialize_i64(*v as i64)
    } else {
        s.serialize_f64(*v)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Approx {
    /// 余, 多, 以上, 超 after a number.
    MoreThan,
    /// 约, 近, 左右.
    About,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// 在谈: under negotiation, not yet signed.
    Negotiating,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Qualifiers {
    /// A named subset (`高技术项目`, `外资项目`, `亿元以上项目`).
    pub scope: Option<String>,
    pub approx: Option<Approx>,
    pub status: Option<Status>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Subjects {
    pub industries: Vec<String>,
    pub companies: Vec<String>,
    pub projects: Vec<String>,
}

/// Where in the normalised text the event came from. Offsets count
/// characters (Unicode scalar values), not bytes, so consumers in any
/// language can slice with them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evidence {
    pub text: String,
    pub start: usize,
    pub end: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Script {
    #[default]
    Simplified,
    Traditional,
}

/// The article an event came from, repeated on every event so each output
/// message is self-contained.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArticleMeta {
    pub id: String,
    pub url: Option<String>,
    pub title: Option<String>,
    pub source: Option<String>,
    pub published_at: Option<String>,
    pub script: Script,
    /// SHA-256 of the normalised text: equal for the same story in either script.
    pub content_sha256: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    pub schema: String,
    pub event_id: String,
    pub kind: EventKind,
    pub region: Option<Region>,
    pub period: Period,
    pub measures: Vec<Measure>,
    pub qualifiers: Qualifiers,
    pub subjects: Subjects,
    pub evidence: Evidence,
    pub article: ArticleMeta,
    pub extractor_version: String,
}

impl Event {
    /// Same article + same evidence span + same kind → same id, so a
    /// reprocessed message yields byte-identical keys and consumers can
    /// upsert instead of double counting.
    pub fn compute_id(article_id: &str, kind: EventKind, start: usize, end: usize) -> String {
        let mut h = Sha256::new();
        h.update(article_id.as_bytes());
        h.update([0]);
        h.update(kind.as_str().as_bytes());
        h.update([0]);
        h.update(start.to_le_bytes());
        h.update(end.to_le_bytes());
        hex::encode(&h.finalize()[..16])
    }

    /// The output message key: per-region consumers stay partition-local.
    pub fn key(&self) -> &str {
        match &self.region {
            Some(r) => &r.adcode,
            None => &self.article.id,
        }
    }
}

/// Where an input came from, echoed in its outcome record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum SourceRef {
    Kafka { topic: String, partition: i32, offset: i64 },
    File { path: String, #[serde(skip_serializing_if = "Option::is_none", default)] line: Option<u64> },
}

impl SourceRef {
    /// A stable identity of the input message itself (not of the story):
    /// a redelivery of the same Kafka record has the same origin.
    pub fn origin(&self) -> String {
        match self {
            SourceRef::Kafka { topic, partition, offset } => format!("kafka:{topic}/{partition}/{offset}"),
            SourceRef::File { path, line: Some(l) } => format!("file:{path}:{l}"),
            SourceRef::File { path, line: None } => format!("file:{path}"),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OutcomeKind {
    Events,
    Irrelevant,
    Duplicate,
    Rejected,
}

impl OutcomeKind {
    pub const ALL: [OutcomeKind; 4] =
        [OutcomeKind::Events, OutcomeKind::Irrelevant, OutcomeKind::Duplicate, OutcomeKind::Rejected];

    pub fn as_str(self) -> &'static str {
        match self {
            OutcomeKind::Events => "events",
            OutcomeKind::Irrelevant => "irrelevant",
            OutcomeKind::Duplicate => "duplicate",
            OutcomeKind::Rejected => "rejected",
        }
    }
}

/// Exactly one per input, so a platform can account for every message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutcomeRecord {
    pub schema: String,
    pub article_id: String,
    pub source: Option<SourceRef>,
    pub outcome: OutcomeKind,
    pub events: usize,
    pub duplicate_of: Option<String>,
    pub similarity: Option<f64>,
    pub reason: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_serialise_as_integers_in_base_units() {
        let m = Measure { metric: Metric::Amount, value: 178_802_000_000.0, currency: Some("CNY".into()), text: "1788.02亿元".into() };
        let json = serde_json::to_string(&m).unwrap();
        assert_eq!(json, r#"{"metric":"amount","value":178802000000,"currency":"CNY","text":"1788.02亿元"}"#);
        let p = Measure { metric: Metric::Percent, value: 60.13, currency: None, text: "60.13%".into() };
        assert_eq!(serde_json::to_string(&p).unwrap(), r#"{"metric":"percent","value":60.13,"text":"60.13%"}"#);
    }

    #[test]
    fn event_id_depends_on_article_span_and_kind_only() {
        let a = Event::compute_id("a1", EventKind::Signing, 10, 40);
        assert_eq!(a, Event::compute_id("a1", EventKind::Signing, 10, 40));
        assert_ne!(a, Event::compute_id("a1", EventKind::Target, 10, 40));
        assert_ne!(a, Event::compute_id("a2", EventKind::Signing, 10, 40));
        assert_ne!(a, Event::compute_id("a1", EventKind::Signing, 11, 40));
        assert_eq!(a.len(), 32);
    }

    #[test]
    fn kafka_source_serialises_as_in_the_spec() {
        let s = SourceRef::Kafka { topic: "news.raw".into(), partition: 3, offset: 81234 };
        assert_eq!(serde_json::to_string(&s).unwrap(), r#"{"topic":"news.raw","partition":3,"offset":81234}"#);
    }
}
