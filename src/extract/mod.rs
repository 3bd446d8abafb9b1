//! Stage 4 — extract: normalised text → investment-promotion [`Event`]s.
//!
//! Implements `../shared/spec/events.md` sections 2.2–2.4: relevance,
//! clause-level events, numbers in base units, qualifiers, region and period.
//!
//! The walk: sentences → clauses → quantities ([`number`]); each quantity
//! becomes a measure only in a context that says what it counts (money near
//! 投资/签约/资金, a 个 near 项目, a 家 near 企业, a 场 near 招商活动) and not
//! when it is a threshold (`10亿元以上项目`). Measures of a clause group
//! into facts; a fact's kind comes from the cue words of its clause, else
//! from its sentence, else from the story so far ([`lexicon`]). A fact's
//! region is what its own words name as actor, else its statement's subject,
//! else the article's; a statement the text repeats is emitted once.
//!
//! Every context window is bounded, so a run-on text costs linear time.

mod attribution;
pub mod clause;
mod classify;
mod groups;
mod kind;
mod projects;
mod repeats;
mod text;
pub mod lexicon;
pub mod number;
pub mod period;
pub mod region;
mod subjects;

use crate::normalize::is_han;
use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::NaiveDate;
use regex::Regex;

use crate::event::{
    Approx, ArticleMeta, Event, EventKind, Evidence, Measure, Metric, Qualifiers, Region, RegionLevel, Status, Subjects, EVENT_SCHEMA,
    EXTRACTOR_VERSION,
};
use crate::normalize::Normalized;
use clause::{Sentence, Span};
use lexicon::{Cue, Lexicons};
use number::{Classifier, NumberScanner, Quantity, Unit};

use classify::*;
use groups::*;
use lexicon::{BUILD_VERBS, COUNTED_NOUNS, DEICTIC, EXPO_WORDS, FACILITY_ENDS, FAIR_SUBJECTS, GENERIC_PROJECT_HEADS, MONEY_BAND, UPPER_BOUNDS};
use projects::*;
use repeats::*;
use text::*;

/// Holds what is expensive to build once (division index, patterns) and is
/// shared read-only across threads.
pub struct Extractor {
    pub regions: region::Divisions,
    numbers: NumberScanner,
    lex: Lexicons,
    subjects: subjects::SubjectFinder,
    /// `计划总投资` / `投资额达` / `总投资` alone before an amount: the clause
    /// only gives a figure for something named earlier in the sentence.
    bare_investment: Regex,
    /// `八市`, `5个县区`: a count of places as the subject.
    places_counted: Regex,
    /// Words that commit to a figure not yet reached (力争, 确保).
    commitment: Regex,
}

#[derive(Debug, thiserror::Error)]
pub enum ExtractError {
    #[error("the embedded division table is corrupt: {0}")]
    Divisions(String),
    #[error("an extraction pattern failed to build: {0}")]
    Pattern(String),
}

/// Smallest amount taken as an investment figure: `总投资67元` is a typo for
/// 67亿元, not a fact.
const MIN_AMOUNT: f64 = 1000.0;


const WINDOW: usize = 300;

/// Bytes of text before a fact handed to period resolution (about 500
/// characters: the paragraph or two that may state the year).
const CONTEXT: usize = 4000;

/// Earlier clauses of a sentence searched for the place a fact belongs to.
const WALK_BACK: usize = 8;





/// One measure before grouping, with what its context said about it.
#[derive(Debug, Clone)]
struct Fact {
    q: Quantity,
    metric: Metric,
    approx: Option<Approx>,
    scope: Option<String>,
    /// A named project this amount is the investment of (`总投资115亿元的…项目`).
    project: Option<String>,
    is_project: bool,
    /// A growth rate (`同比增长22.3%`), reported with the fact before it.
    growth: bool,
    /// `10个项目将全部入驻`: the subject of a further statement, which
    /// restates an earlier count rather than adding one.
    reference: bool,
    /// Byte end of what belongs to this measure (the project name, if any).
    reach: usize,
    /// `A、B分别为x、y`: the byte span of the listed thing (A or B) this
    /// figure is the value of.
    item: Option<(usize, usize)>,
}

/// Measures that state one fact: a clause, or part of one.
#[derive(Debug, Clone)]
struct Group {
    sentence: usize,
    first_clause: usize,
    last_clause: usize,
    start: usize,
    end: usize,
    facts: Vec<Fact>,
    kind: EventKind,
    status: Option<Status>,
    region: Option<Region>,
    /// The listed thing a `分别` figure belongs to: its place, if it names
    /// one, is the group's region.
    actor: Option<(usize, usize)>,
}

impl Extractor {
    pub fn new() -> Result<Self, ExtractError> {
        let pat = |e: &dyn std::fmt::Display| ExtractError::Pattern(e.to_string());
        Ok(Extractor {
            regions: region::Divisions::embedded()?,
            numbers: NumberScanner::new().map_err(|e| pat(&e))?,
            lex: Lexicons::new().map_err(|e| pat(&e))?,
            subjects: subjects::SubjectFinder::new().map_err(|e| pat(&e))?,
            bare_investment: Regex::new(r"^(?:其中)?(?:计划|协议)?(?:总)?(?:投资|签约)(?:额|总额|金额|总量|概算|规模)?(?:达到|达|为|约|近|超过|超|高达)?$")
                .map_err(|e| pat(&e))?,
            places_counted: Regex::new(r"(?:^|[^0-9零〇一二两三四五六七八九十百千万亿])[0-9零〇一二两三四五六七八九十]+个?(?:县市区|地州市|县区|地市|省市|市|县|区)[^场级委政长民直属辖内]")
                .map_err(|e| pat(&e))?,
            commitment: Regex::new(r"力争|确保|力求|计划(?:引进|签约|开工|完成|实现|招引)|目标是|(?:目标|任务)(?:是|为)?[:：]").map_err(|e| pat(&e))?,
        })
    }

    /// All events of one article. Pure: same inputs, same events, same order.
    pub fn extract(&self, meta: &ArticleMeta, doc: &Normalized) -> Vec<Event> {
        let text = doc.text.as_str();
        if !self.is_promotion(text) {
            return Vec::new();
        }
        let sentences = clause::sentences(text);
        let mut groups: Vec<Group> = Vec::new();
        // a fact without any cue of its own continues the story so far
        let mut story_kind: Option<EventKind> = None;
        // the metric of the last count, for a sentence that goes on with
        // `其中，甲县3个、乙县4个` after a full stop
        let mut last_count: Option<(Metric, Option<EventKind>)> = None;
        for (si, s) in sentences.iter().enumerate() {
            let opens_subset = text[s.span.start..s.span.end].trim_start().starts_with("其中");
            let subset_of = opens_subset.then_some(last_count).flatten();
            let (kind, count) = self.sentence_groups(text, si, s, story_kind, subset_of, &mut groups);
            story_kind = kind.or(story_kind);
            last_count = count.or(last_count);
        }
        if groups.iter().all(|g| g.facts.iter().all(|f| f.growth)) {
            return Vec::new();
        }
        let article_region = self.regions.article_region_at(meta.title.as_deref().or(doc.title.as_deref()), meta.source.as_deref(), text, meta.url.as_deref());
        let published = period::publication_date(meta.published_at.as_deref(), text, meta.url.as_deref());
        self.resolve_regions(text, &sentences, &mut groups, article_region.as_ref());
        let groups = dedup(groups);
        self.events(meta, text, &sentences, groups, published)
    }

    /// Whether the article is about investment promotion at all: a word of
    /// the trade (招商, 引资, 集中签约, 到位资金…), or a project's total
    /// investment told together with its signing, start or landing. Stock
    /// reports, house prices, sports contracts and 家庭医生签约 have none.
    fn is_promotion(&self, text: &str) -> bool {
        self.lex.anchors.find(text).any(|(_, _, anchor)| anchor)
            || ((text.contains("总投资") || text.contains("投资总额"))
                && ["签约", "签订", "开工", "落地", "落户", "投产"].iter().any(|w| text.contains(w)))
    }

    fn events(
        &self,
        meta: &ArticleMeta,
        text: &str,
        sentences: &[Sentence],
        groups: Vec<Group>,
        published: Option<NaiveDate>,
    ) -> Vec<Event> {
        let mut offsets: Vec<usize> = groups.iter().flat_map(|g| [g.start, g.end]).collect();
        offsets.sort_unstable();
        offsets.dedup();
        let chars = char_offsets(text, &offsets);
        let time_words = period::ArticleAnchors::new(text);
        let char_at = |b: usize| offsets.binary_search(&b).map(|i| chars[i]).unwrap_or(0);
        let mut out = Vec::with_capacity(groups.len());
        for g in groups {
            let s = &sentences[g.sentence];
            let evidence = &text[g.start..g.end];
            // the sentence around the evidence, bounded for run-on texts
            let around_start = floor_char_boundary(text, g.start.saturating_sub(WINDOW)).max(s.span.start);
            let around_end = ceil_char_boundary(text, (g.end + WINDOW).min(text.len())).min(s.span.end.max(g.end));
            let sentence_text = &text[around_start..around_end];
            let ctx_start = floor_char_boundary(text, g.start.saturating_sub(CONTEXT));
            let period = time_words.clause_period(evidence, ctx_start, g.start, published);
            let measures: Vec<Measure> = g
                .facts
                .iter()
                .map(|f| Measure {
                    metric: f.metric,
                    value: f.q.value,
                    currency: match f.q.unit {
                        Unit::Money(c) => Some(c.to_owned()),
                        _ => None,
                    },
                    text: f.q.text.clone(),
                })
                .collect();
            let scope = g.facts.iter().find_map(|f| f.scope.clone());
            let approx = g.facts.iter().find_map(|f| f.approx);
            let mut subjects: Subjects = self.subjects.find(sentence_text, evidence);
            subjects.projects = g.facts.iter().filter_map(|f| f.project.clone()).collect();
            let (start, end) = (char_at(g.start), char_at(g.end));
            out.push(Event {
                schema: EVENT_SCHEMA.to_owned(),
                event_id: Event::compute_id(&meta.id, g.kind, start, end),
                kind: g.kind,
                region: g.region,
                period,
                measures,
                qualifiers: Qualifiers { scope, approx, status: g.status },
                subjects,
                evidence: Evidence { text: evidence.to_owned(), start, end },
                article: meta.clone(),
                extractor_version: EXTRACTOR_VERSION.to_owned(),
            });
        }
        out
    }
}

#[cfg(test)]
mod tests;
