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

pub mod clause;
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

/// Bytes of context read before a quantity (about 100 characters).
/// Words before an amount that make it an upper bound of a category.
const UPPER_BOUNDS: [&str; 6] = ["不足", "不到", "低于", "少于", "未满", "未达"];

const WINDOW: usize = 300;

/// Bytes of text before a fact handed to period resolution (about 500
/// characters: the paragraph or two that may state the year).
const CONTEXT: usize = 4000;

/// Earlier clauses of a sentence searched for the place a fact belongs to.
const WALK_BACK: usize = 8;

/// Nouns right after `个` that make it count something other than the
/// projects or firms named before it: `项目…4个月`, `增长2个百分点`.
const COUNTED_NOUNS: &[&str] = &[
    "月", "半月", "年", "季度", "星期", "周", "天", "日", "小时", "工作日", "百分点", "方面", "领域", "环节", "阶段", "批", "人",
    "乡", "镇", "村", "县", "区", "市", "省", "部门", "单位", "园区", "平台", "产业", "行业", "国家", "地区", "城市",
];

/// Deictic words for the article's own division (我市, 全省): a clause with
/// one of these is about the article's region, not about an earlier place.
const DEICTIC: &[&str] =
    &["全省", "我省", "本省", "全市", "我市", "本市", "全县", "我县", "本县", "全区", "我区", "本区", "全州", "我州", "全盟", "我盟", "全旗", "我旗", "经开区", "高新区", "市直"];

/// Names of national and international expos and fairs, and their
/// abbreviations (东博会, 兰洽会, 南博会, 厦洽会).
const EXPO_WORDS: &[&str] = &["博览会", "博会", "洽谈会", "洽会", "交易会", "交会", "投资贸易"];
/// Words that make the expo itself the subject of a statement.
/// (`在兰洽会上签约项目60个` is a city signing at the fair: not these.)
const FAIR_SUBJECTS: &[&str] = &["本届", "本次活动", "本次签约活动", "大会共", "组委会"];

/// Endings of a money band right before a count (`5亿元以上的有220项`).
const MONEY_BAND: &[&str] = &["元以上的有", "元以上有", "元以上的共有", "亿以上", "元以上", "元及以上", "元的有", "亿元以上的"];

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

    /// The facts of one sentence, appended to `out`; returns the kind of
    /// its last fact that is not a single project, if any, and the metric
    /// and kind of its last count that is not a target. `count_before` is
    /// that of the count a sentence opening with 其中 divides: its parts
    /// have its metric and, without cues of their own, its kind.
    fn sentence_groups(
        &self,
        text: &str,
        si: usize,
        s: &Sentence,
        story_kind: Option<EventKind>,
        count_before: Option<(Metric, Option<EventKind>)>,
        out: &mut Vec<Group>,
    ) -> (Option<EventKind>, Option<(Metric, Option<EventKind>)>) {
        let sentence_text = &text[s.span.start..s.span.end];
        let plan = self.lex.plan_heads.any(sentence_text);
        let commit_at = self.commitment.find(sentence_text).map(|m| s.span.start + m.end());
        // cues of the whole sentence, absolute offsets
        let cues: Vec<(usize, usize, Cue)> = self
            .lex
            .cues
            .find(sentence_text)
            .filter(|c| c.2 != Cue::Not)
            .map(|(a, b, c)| (a + s.span.start, b + s.span.start, c))
            .collect();
        let first_new = out.len();
        let mut last_count_metric: Option<Metric> = count_before.map(|(m, _)| m);
        let mut last_count: Option<(Metric, Option<EventKind>)> = None;
        // the last `A、B分别…` list of the sentence, for a later clause that
        // continues it (`…分别签约项目18个、15个，总投资分别为96亿元、72亿元`)
        let mut listed: Option<Vec<(usize, usize)>> = None;
        // kind of the sentence's last fact that is not a single project
        let mut prev_kind: Option<EventKind> = count_before.and_then(|(_, k)| k);
        for (ci, c) in s.clauses.iter().enumerate() {
            let ctext = &text[c.start..c.end];
            let qs: Vec<Quantity> = self
                .numbers
                .scan(ctext)
                .into_iter()
                .map(|mut q| {
                    q.start += c.start;
                    q.end += c.start;
                    q
                })
                .collect();
            if qs.is_empty() {
                continue;
            }
            let mut facts: Vec<Fact> = Vec::new();
            // a threshold names the subset the next count is about
            // (`5亿元以上项目9个、10亿元以上项目4个`)
            let mut threshold_scope: Option<String> = None;
            for (qi, q) in qs.iter().enumerate() {
                let prev_end = if qi == 0 { c.start } else { qs[qi - 1].end };
                let next_start = qs.get(qi + 1).map_or(c.end, |n| n.start);
                let at = Slot { sentence_start: s.span.start, clause: *c, prev_end, next_start };
                match self.classify(text, at, q, last_count_metric) {
                    Classified::Fact(mut f) => {
                        if f.metric.is_count() {
                            last_count_metric = Some(f.metric);
                            if let Some(scope) = threshold_scope.take() {
                                f.scope = Some(scope);
                            }
                        }
                        facts.push(*f)
                    }
                    Classified::Threshold(scope) => {
                        threshold_scope = Some(scope);
                    }
                    Classified::Nothing => {}
                }
            }
            respective_items(text, *c, &mut facts, &mut listed);
            // split the clause's facts into groups: a repeated metric, a
            // named project or a listed item starts a new one
            let mut clause_groups: Vec<Vec<Fact>> = Vec::new();
            for f in facts {
                let new_group = match clause_groups.last() {
                    None => true,
                    Some(g) => {
                        f.is_project
                            || f.item.is_some()
                            || g.first().is_some_and(|h| h.growth != f.growth)
                            // `三场活动共签订了53个合作项目`: the activities and what they signed
                            || g.iter().all(|h| h.metric == Metric::ActivityCount) != (f.metric == Metric::ActivityCount)
                            || g.iter().any(|h| h.is_project || (h.metric == f.metric && !f.growth))
                    }
                };
                if new_group {
                    clause_groups.push(vec![f]);
                } else if let Some(g) = clause_groups.last_mut() {
                    g.push(f);
                }
            }
            let n = clause_groups.len();
            let mut cursor = c.start;
            for (gi, facts) in clause_groups.into_iter().enumerate() {
                let mut start = skip_separators(text, cursor);
                if facts.iter().all(|f| f.is_project) {
                    // one item of a list of projects (`…、总投资80亿元的某项目`)
                    if let Some(first) = facts.first() {
                        if let Some(i) = text[start..first.q.start].rfind(['、', '，', ',']) {
                            start = skip_separators(text, start + i);
                        }
                    }
                }
                let end = if gi + 1 == n { c.end } else { facts.iter().map(|f| f.reach).max().unwrap_or(c.end).min(c.end) };
                cursor = end;
                // the clause's cues near this group (all of them in any
                // clause of ordinary length)
                let (lo, hi) = (c.start.max(start.saturating_sub(WINDOW)), c.end.min(end + WINDOW));
                let clause_cues = &cues[cues.partition_point(|x| x.0 < lo)..cues.partition_point(|x| x.1 <= hi)];
                // `力争…，实现到位资金90亿元`: a commitment governs the rest
                // of its sentence, unless a clause reports what is done
                let committed = commit_at.is_some_and(|p| p <= c.start)
                    && !["已", "截至", "目前", "完成了", "实现了"].iter().any(|w| text[start..end.max(start)].contains(w));
                let (mut kind, status) =
                    self.decide_kind(text, &facts, clause_cues, &cues, plan || committed, prev_kind, story_kind, *c);
                // `新签约…、新开工…项目分别为63个、41个`: each listed thing says
                // what its figure is
                if let Some((a, b)) = facts.first().and_then(|f| f.item).filter(|_| kind != EventKind::Target) {
                    let item_kind = cues.iter().rev().filter(|x| x.0 >= a && x.1 <= b).find_map(|x| match x.2 {
                        Cue::Kind(k) => Some(k),
                        _ => None,
                    });
                    if let Some(k) = item_kind {
                        let counts_only = facts.iter().all(|f| f.metric.is_count());
                        kind = match k {
                            EventKind::FundsInPlace | EventKind::InvestmentProgress if counts_only => EventKind::Attraction,
                            k => k,
                        };
                    }
                }
                if facts.iter().all(|f| f.growth) && prev_kind.is_none() {
                    continue; // a growth rate of nothing we report
                }
                if kind != EventKind::Project {
                    prev_kind = Some(kind);
                }
                if kind != EventKind::Target {
                    if let Some(f) = facts.iter().rev().find(|f| f.metric.is_count()) {
                        last_count = Some((f.metric, Some(kind)));
                    }
                }
                let actor = facts.first().and_then(|f| f.item);
                out.push(Group {
                    sentence: si,
                    first_clause: ci,
                    last_clause: ci,
                    start,
                    end: end.max(start),
                    facts,
                    kind,
                    status,
                    region: None,
                    actor,
                });
            }
        }
        merge_amount_clauses(out, first_new);
        (prev_kind, last_count.or(last_count_metric.map(|m| (m, None))))
    }

    /// Whether `q` is a measure, a threshold, or neither, from its context
    /// in its slot (clause, and the words between its neighbours).
    fn classify(&self, text: &str, at: Slot, q: &Quantity, last_count_metric: Option<Metric>) -> Classified {
        let Slot { sentence_start, clause: c, prev_end, next_start } = at;
        // context windows are bounded so that a text without punctuation
        // costs linear time, not quadratic
        let clause_from = floor_char_boundary(text, q.start.saturating_sub(WINDOW)).max(c.start);
        let clause_before = &text[clause_from..q.start];
        let clause_whole = clause_from == c.start;
        let sentence_before = &text[floor_char_boundary(text, q.start.saturating_sub(WINDOW)).max(sentence_start)..q.start];
        let before = &text[prev_end..q.start];
        let after = &text[q.end..next_start];
        let near_before = tail_chars(before, 12);
        let mut approx = q.approx.or_else(|| prefix_approx(before));
        if after.starts_with("左右") {
            approx = Some(Approx::About);
        }
        let after_paren = skip_parenthetical(after);
        // `以上` before a noun makes a category (`10亿元以上项目`); at the end
        // of a clause it only says "more than" (`引进项目50个以上`)
        let limit = ["及以上", "以上", "以下"].iter().find_map(|w| after_paren.strip_prefix(w));
        let limit_after = limit.is_some_and(|rest| rest.chars().next().is_some_and(is_han));
        if limit.is_some() && !limit_after && !after_paren.starts_with("以下") {
            approx = Some(Approx::MoreThan);
        }
        match q.unit {
            Unit::Money(currency) => {
                // `10亿元至50亿元项目`: a range bounds a category
                let mut range = text[q.end..c.end].chars();
                if range.next().is_some_and(|c| "至到-－~～—".contains(c))
                    && range.next().is_some_and(|c| c.is_ascii_digit() || number::chinese_value(c.encode_utf8(&mut [0; 4])).is_some())
                {
                    return Classified::Threshold(format!("{}{}", q.text, take_chars(after, 8)));
                }
                // `八市到资超500亿元`: each of several places exceeds a mark
                let per_place = approx == Some(Approx::MoreThan) && self.places_counted.is_match(tail_chars(clause_before, 12));
                // `单体投资均不足1亿元`, `5000万元以下`: an upper bound describes
                // the projects, it is not an amount anyone invested
                if let Some(bound) = UPPER_BOUNDS.iter().find(|w| near_before.ends_with(**w)) {
                    return Classified::Threshold(format!("{bound}{}", q.text));
                }
                if after_paren.starts_with("以下") {
                    return Classified::Threshold(format!("{}以下", q.text));
                }
                // `其中50亿以上15个`, `5亿元以上的有220项`: a band the count after it falls in
                let band_of_count = limit.is_some_and(|rest| {
                    rest.trim_start_matches(['的', '有', '共']).starts_with(|c: char| c.is_ascii_digit())
                });
                if limit_after || per_place || band_of_count || is_category_amount(after_paren, near_before) {
                    let scope_end = after.find("项目").map(|i| i + "项目".len()).filter(|i| *i <= 36);
                    let scope = match scope_end {
                        Some(e) => format!("{}{}", q.text, &after[..e]),
                        None => format!("{}{}", q.text, take_chars(after_paren, 2)),
                    };
                    return Classified::Threshold(scope);
                }
                if self.lex.money_blockers.any(clause_before) {
                    return Classified::Nothing;
                }
                // the money words may sit earlier in the sentence
                // (`引进到位资金X亿元，完成全年目标任务Y亿元的Z%`)
                let context = self.lex.money_context.any(sentence_before) || self.lex.money_context.any(take_chars(after, 8));
                let bare_ok = !q.bare
                    || ["投资", "金额", "资金", "总额", "签约额", "引资", "到位", "合同额", "协议额", "签约"]
                        .iter()
                        .any(|w| tail_chars(before, 6).contains(w));
                if !context || !bare_ok || (currency == "CNY" && q.value < MIN_AMOUNT) {
                    return Classified::Nothing;
                }
                let mut fact = Fact {
                    q: q.clone(),
                    metric: Metric::Amount,
                    approx,
                    scope: None,
                    project: None,
                    is_project: false,
                    growth: false,
                    reference: false,
                    reach: q.end,
                    item: None,
                };
                if tail_chars(before, 8).contains("投资") {
                    if let Some((name, reach)) = project_after(after) {
                        fact.is_project = true;
                        fact.project = Some(name).filter(|n| specific_project(n));
                        fact.reach = q.end + reach;
                    }
                }
                if !fact.is_project && prev_end == c.start {
                    if let Some(name) = named_project_in(clause_before) {
                        fact.is_project = true;
                        fact.project = Some(name);
                    }
                }
                if !fact.is_project && clause_whole && self.bare_investment.is_match(clause_before.trim()) {
                    if let Some(name) = named_project_before(text, c, self) {
                        fact.is_project = true;
                        fact.project = Some(name);
                    }
                }
                Classified::Fact(Box::new(fact))
            }
            Unit::Count(classifier) => {
                // `一个个`: reduplication, not a count; `这两个项目`, `每一个`,
                // `本着开工一个项目`: narrative, not a figure
                if limit_after || after.starts_with("以内") || after.starts_with('个') {
                    return Classified::Nothing;
                }
                // `“三个500强”企业`: a count that opens a quoted name is part of it
                if before.ends_with(['这', '那', '每', '该', '此', '“', '"']) || tail_chars(before, 4).contains("本着") {
                    return Classified::Nothing;
                }
                // a count that rests on a noun before it must end there:
                // `项目…4个月` is a duration
                let rest = ["及以上", "以上", "左右"].iter().find_map(|w| after.strip_prefix(w)).unwrap_or(after);
                let ends_here = !COUNTED_NOUNS.iter().any(|w| rest.starts_with(w));
                let mut reference = false;
                let metric = match classifier {
                    Classifier::Item => {
                        let after_words = cut_at_number(after, 16);
                        // `14个县区共签约项目`: the count is of what comes first
                        // (县区), the 项目 belongs to a verb after it
                        let p_after = after_words.find("项目").filter(|&i| {
                            let between = &after_words[..i];
                            (!self.lex.cues.any(between) || self.attributive(between))
                                && !between.starts_with(['县', '区', '市', '乡', '镇', '村', '省', '部', '单'])
                        });
                        let f_after = self.first_firm(after_words);
                        // a noun before the count owns it only when nothing but
                        // linking words and cues stand between (`项目合同达到267个`,
                        // not `项目新增就业岗位2000个`)
                        let p_before = near_before.rfind("项目").map(|i| i + "项目".len()).filter(|&e| self.linked(&near_before[e..]));
                        let f_before = self.last_firm_end(near_before).filter(|&e| self.linked(&near_before[e..]));
                        if let Some(i) = p_after {
                            let rest = &after[i + "项目".len()..];
                            if rest.starts_with('中') {
                                return Classified::Nothing; // 签约的16个项目中: a reference
                            }
                            reference = ["将", "都", "均", "全部", "已全部"].iter().any(|w| rest.starts_with(w));
                        }
                        match (p_after, f_after, p_before, f_before) {
                            (Some(p), Some(f), _, _) if f < p => Metric::CompanyCount,
                            (Some(_), _, _, _) => Metric::ProjectCount,
                            (None, Some(_), _, _) => Metric::CompanyCount,
                            (None, None, Some(_), _) | (None, None, None, Some(_)) if !ends_here => {
                                return Classified::Nothing;
                            }
                            (None, None, Some(p), Some(f)) => {
                                if f > p {
                                    Metric::CompanyCount
                                } else {
                                    Metric::ProjectCount
                                }
                            }
                            (None, None, Some(_), None) => Metric::ProjectCount,
                            (None, None, None, Some(_)) => Metric::CompanyCount,
                            (None, None, None, None) => {
                                // `其中3个`, `已开工建设15个`: the same things as
                                // the count before; `增加113个` is a difference
                                let b = before.trim_end();
                                let delta = ["增加", "减少", "增长", "下降", "多", "少"].iter().any(|w| tail_chars(b, 6).contains(w));
                                let verb_only = b.chars().count() <= 6 && self.lex.cues.any(b);
                                // `分别为63个、41个`: the next value of a list
                                let list_next = prev_end > c.start && ["、", "和", "及", "与"].contains(&b);
                                // `其中于都县9个、信丰县7个`: a place's share of the count
                                let place = b.trim_start_matches(['、', '，', ',', ' ']);
                                let place = place.strip_prefix("其中").unwrap_or(place);
                                let per_place = place.chars().count() <= 8 && self.regions.resolve_name(place).is_some();
                                // `去年签约项目120个，今年增至150个`: the same count, later
                                let rose_to = ends_here && ["增至", "增加到", "增长到", "提高到", "升至"].iter().any(|w| b.ends_with(w));
                                // `完成年度目标任务132个的59.09%`: the target the count before is measured against
                                let task = ends_here && ["目标任务", "目标", "任务"].iter().any(|w| b.ends_with(w));
                                // `亿元以上的有680项`, `50亿以上15个`: the projects in a money band
                                let band = ends_here && MONEY_BAND.iter().any(|w| b.ends_with(w));
                                match last_count_metric {
                                    Some(m) if b.ends_with("其中") || list_next || per_place || rose_to || task || (ends_here && verb_only && !delta) => m,
                                    _ if band => last_count_metric.unwrap_or(Metric::ProjectCount),
                                    _ => return Classified::Nothing,
                                }
                            }
                        }
                    }
                    Classifier::Firm => {
                        let after_words = cut_at_number(after, 10);
                        // `对接企业、政府机构…等1755家`: the firms a list before it names;
                        // `其中请进来529家`: a share of the firms counted before
                        let listed = before.trim_end().ends_with('等') && self.lex.firm_nouns.any(clause_before);
                        let share = last_count_metric == Some(Metric::CompanyCount) && ends_here;
                        if self.lex.firm_nouns.any(after_words) || self.lex.firm_nouns.any(near_before) || listed || share {
                            Metric::CompanyCount
                        } else {
                            return Classified::Nothing;
                        }
                    }
                    Classifier::Occasion => {
                        // `每季度一次`: a frequency; `举办一场`: narrative
                        if tail_chars(before, 6).contains('每') || q.text.starts_with('一') {
                            return Classified::Nothing; // 每季度一次: a frequency
                        }
                        let around = tail_chars(clause_before, 16);
                        if self.lex.activity_nouns.any(around) || self.lex.activity_nouns.any(cut_at_number(after, 12)) {
                            Metric::ActivityCount
                        } else {
                            return Classified::Nothing;
                        }
                    }
                };
                let scope = if metric == Metric::ProjectCount { project_scope(near_before) } else { None };
                Classified::Fact(Box::new(Fact {
                    q: q.clone(),
                    metric,
                    approx,
                    scope,
                    project: None,
                    is_project: false,
                    growth: false,
                    reference,
                    reach: q.end,
                    item: None,
                }))
            }
            Unit::Percent => {
                // Only growth rates: shares (占比) and ratios restate other
                // figures. `增长22.3%`, `分别增长5.1%、3.8%`.
                let lead = tail_chars(clause_before, 10);
                let Some(g) = self.lex.growth.find(lead).last() else {
                    return Classified::Nothing;
                };
                let between = &lead[g.1..];
                if between.contains('占') || between.contains("比重") {
                    return Classified::Nothing;
                }
                Classified::Fact(Box::new(Fact {
                    q: q.clone(),
                    metric: Metric::Percent,
                    approx,
                    scope: None,
                    project: None,
                    is_project: false,
                    growth: true,
                    reference: false,
                    reach: q.end,
                    item: None,
                }))
            }
        }
    }

    fn first_firm(&self, s: &str) -> Option<usize> {
        self.lex.firm_nouns.find(s).next().map(|h| h.0)
    }

    fn last_firm_end(&self, s: &str) -> Option<usize> {
        self.lex.firm_nouns.find(s).last().map(|h| h.1)
    }

    /// `31个签约项目`, `5个新开工项目`: cue words that only say which
    /// projects are counted (nothing else between the count and 项目).
    fn attributive(&self, s: &str) -> bool {
        let mut last = 0;
        let mut rest = String::new();
        for (a, b, _) in self.lex.cues.find(s) {
            rest.push_str(&s[last..a]);
            last = b;
        }
        rest.push_str(&s[last..]);
        rest.chars().all(|c| "新已的".contains(c))
    }

    /// Whether `s`, between a noun and its count, holds only linking words
    /// (共有, 达到, 为, 占) and cue words (开工, 合同).
    fn linked(&self, s: &str) -> bool {
        let mut rest = String::with_capacity(s.len());
        let mut last = 0;
        for (a, b, _) in self.lex.cues.find(s) {
            rest.push_str(&s[last..a]);
            last = b;
        }
        rest.push_str(&s[last..]);
        // `签约项目突破70个`, `项目增至12个`: a threshold crossed is still the count
        let rest = rest.replace("突破", "").replace("增至", "").replace("达到", "").replace("数量", "");
        rest.chars().count() <= 6 && rest.chars().all(|c| "共有达到为占合计总数约近超过逾分别已累计新增均是其中就也还".contains(c) || c.is_whitespace())
    }

    /// The kind of a group of facts. Precedence: a target word anywhere in
    /// the clause (力争/目标/任务: the figure is not yet real); a named
    /// project; activities are promotion; else the nearest cue before the
    /// first measure, else the nearest after it; else what the sentence,
    /// then the story so far, was about.
    #[allow(clippy::too_many_arguments)]
    fn decide_kind(
        &self,
        text: &str,
        facts: &[Fact],
        clause_cues: &[(usize, usize, Cue)],
        sentence_cues: &[(usize, usize, Cue)],
        plan: bool,
        prev_kind: Option<EventKind>,
        story_kind: Option<EventKind>,
        c: Span,
    ) -> (EventKind, Option<Status>) {
        let status = clause_cues.iter().any(|x| x.2 == Cue::Negotiating).then_some(Status::Negotiating);
        let all_growth = facts.iter().all(|f| f.growth);
        if all_growth {
            return (prev_kind.or(story_kind).unwrap_or(EventKind::Attraction), status);
        }
        // `…171个，超额完成全年目标` reports a target met, not one set
        let last = facts.last().map_or(c.end, |f| f.q.end);
        let target_met = |x: &(usize, usize, Cue)| {
            x.0 >= last && tail_chars(&text[floor_char_boundary(text, x.0.saturating_sub(24))..x.0], 6).contains("完成")
        };
        if plan || clause_cues.iter().any(|x| x.2 == Cue::Kind(EventKind::Target) && !target_met(x)) {
            return (EventKind::Target, status);
        }
        if facts.iter().any(|f| f.is_project) {
            return (EventKind::Project, status);
        }
        if facts.iter().all(|f| f.metric == Metric::ActivityCount) {
            return (EventKind::PromotionActivity, status);
        }
        let first = facts.first().map_or(c.start, |f| f.q.start);
        let kind_of = |cue: Cue| match cue {
            Cue::Kind(k) => Some(k),
            Cue::Negotiating => Some(EventKind::Attraction),
            Cue::Not => None,
        };
        // after the figure, a cue that only qualifies the noun (`31个签约项目
        // 开工`) yields to the verb that follows it
        let after_first = || {
            let mut later = clause_cues.iter().filter(|x| x.0 >= first);
            let head = later.clone().next();
            later.find(|x| !text[x.1.min(text.len())..].starts_with("项目")).or(head)
        };
        let from_clause = clause_cues.iter().rev().find(|x| x.1 <= first).or_else(after_first)
            .and_then(|x| kind_of(x.2));
        let kind = from_clause
            .or(prev_kind)
            .or_else(|| {
                let before = sentence_cues.partition_point(|x| x.1 <= c.start);
                let after = sentence_cues.partition_point(|x| x.0 < c.end);
                before
                    .checked_sub(1)
                    .and_then(|i| sentence_cues.get(i))
                    .or_else(|| sentence_cues.get(after))
                    .and_then(|x| kind_of(x.2))
            })
            .or(story_kind);
        let firms_only = facts.iter().all(|f| matches!(f.metric, Metric::CompanyCount | Metric::ActivityCount));
        let counts_only = facts.iter().all(|f| f.metric.is_count());
        let kind = match kind {
            Some(EventKind::Target) => EventKind::Target,
            // funds and spending are money: a count beside them counts
            // projects or firms brought in
            Some(EventKind::FundsInPlace | EventKind::InvestmentProgress) if counts_only => EventKind::Attraction,
            Some(k) => k,
            None if firms_only => EventKind::PromotionActivity,
            None => EventKind::Attraction,
        };
        (kind, status)
    }

    /// Region of each group: the division its own words name as actor, else
    /// the group before it in the sentence, else a place that is the subject
    /// of an earlier clause of the sentence, else the article's region.
    fn resolve_regions(&self, text: &str, sentences: &[Sentence], groups: &mut [Group], article: Option<&Region>) {
        // an expo (博览会, 东博会, 洽谈会) reported by its host city's name
        let expo = article.is_some_and(|a| a.level == RegionLevel::City) && EXPO_WORDS.iter().any(|w| text.contains(w));
        for i in 0..groups.len() {
            let g = &groups[i];
            // an aside in brackets (`南疆（含吐鲁番、哈密）`) names no actor,
            // nor do the names of a list of projects (`开工普定县…电站、
            // 关岭自治县…风电场等项目80个`)
            let own_text = without_parentheticals(&text[g.start..g.end]);
            let own_text = self.without_listed_names(&own_text);
            // Each clause is scanned once and resolved with and without the article.
            let regions = &self.regions;
            let actor =
                g.actor.map(|(a, b)| regions.scanned(&text[a..b])).filter(|t| regions.clause_actor_of(t, None).is_some());
            let region = if let Some(actor) = actor {
                regions.clause_region_of(&actor, article)
            } else {
                let own = regions.scanned(&own_text);
                if regions.clause_actor_of(&own, None).is_some() || DEICTIC.iter().any(|d| own_text.contains(d)) {
                    regions.clause_region_of(&own, article)
                } else if let Some(found) = self.subject_before(text, &sentences[g.sentence], g.first_clause, article) {
                    // `；湘潭市在佛山举办推介会，共签约项目11个`: a place that
                    // opens an earlier clause of the sentence is its subject
                    found
                } else if expo && FAIR_SUBJECTS.iter().any(|w| text[sentences[g.sentence].span.start..g.end].contains(w)) {
                    // `本届东博会共签约…`, `本次活动共计338个项目`: a national
                    // expo's totals belong to the province hosting it (events.md §2.4)
                    article.and_then(|a| regions.province_of(a)).cloned().or_else(|| article.cloned())
                } else if i > 0 && groups[i - 1].kind != EventKind::Project && same_period(text, &groups[i - 1], g) {
                    // parts of one statement share their subject, across `；`
                    groups[i - 1].region.clone()
                } else {
                    regions.clause_region_of(&own, article)
                }
            };
            groups[i].region = region;
        }
    }

    /// `s` without the items of an `A、B等(N个)项目` list: the places in
    /// those names are where each project is, not whose count it is. The
    /// list starts after the last cue word before its first `、`.
    fn without_listed_names<'s>(&self, s: &'s str) -> std::borrow::Cow<'s, str> {
        let Some(deng) = s.match_indices('等').map(|(i, _)| i).find(|&i| {
            let tail = take_chars(&s[i + '等'.len_utf8()..], 8);
            tail.find("项目").is_some_and(|p| !tail[..p].contains(['、', '，', ',']))
        }) else {
            return std::borrow::Cow::Borrowed(s);
        };
        let Some(first_item_end) = s[..deng].find('、') else { return std::borrow::Cow::Borrowed(s) };
        let start = self.lex.cues.find(&s[..first_item_end]).map(|(_, e, _)| e).last().unwrap_or(0);
        std::borrow::Cow::Owned(format!("{}{}", &s[..start], &s[deng..]))
    }

    /// The place an earlier clause of the sentence names as its subject
    /// (or 我市/全省 there), for a clause that names none: `None` when no
    /// clause within reach does.
    fn subject_before(&self, text: &str, s: &Sentence, first_clause: usize, article: Option<&Region>) -> Option<Option<Region>> {
        let regions = &self.regions;
        for c in s.clauses[..first_clause].iter().rev().take(WALK_BACK) {
            let ct_text = without_parentheticals(&text[c.start..c.end]);
            let ct = regions.scanned(&ct_text);
            if DEICTIC.iter().any(|d| ct_text.contains(d)) {
                return Some(regions.clause_region_of(&ct, article));
            }
            let subject = regions.mentions_of(&ct).first().is_some_and(|m| m.start <= 3);
            if subject && regions.clause_actor_of(&ct, None).is_some() {
                return Some(regions.clause_region_of(&ct, article));
            }
        }
        None
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

/// Where a quantity sits: its sentence and clause, and the byte range
/// between its neighbours that holds its own words.
#[derive(Debug, Clone, Copy)]
struct Slot {
    sentence_start: usize,
    clause: Span,
    prev_end: usize,
    next_start: usize,
}

enum Classified {
    Fact(Box<Fact>),
    /// A threshold or category (`10亿元以上项目`): the scope it names.
    Threshold(String),
    Nothing,
}

/// `A、B、C分别为x、y、z` (or `A和B分别…`): when the things listed before
/// `分别` are as many as the figures after it, each figure gets its item.
/// A clause that continues a list of the same length without naming the
/// items again (`总投资分别为96亿元、72亿元`) takes the last list's items.
fn respective_items(text: &str, c: Span, facts: &mut [Fact], listed: &mut Option<Vec<(usize, usize)>>) {
    let Some(p) = text[c.start..c.end].find("分别").map(|p| c.start + p) else {
        return;
    };
    let after: Vec<usize> = (0..facts.len()).filter(|&i| facts[i].q.start >= p && !facts[i].growth).collect();
    if after.len() < 2 {
        return;
    }
    let head = &text[c.start..p];
    let split = |seps: &[char]| -> Vec<(usize, usize)> {
        let mut out = Vec::new();
        let mut from = 0;
        for (i, ch) in head.char_indices().chain(std::iter::once((head.len(), '、'))) {
            if i == head.len() || seps.contains(&ch) {
                let piece = &head[from..i];
                let lead = piece.len() - piece.trim_start().len();
                if !piece.trim().is_empty() {
                    out.push((c.start + from + lead, c.start + from + piece.trim_end().len()));
                }
                from = (i + ch.len_utf8()).min(head.len());
            }
        }
        out
    };
    let mut items = split(&['、']);
    if items.len() < 2 {
        items = split(&['和', '及', '与']);
    }
    let items = if items.len() == after.len() {
        *listed = Some(items.clone());
        items
    } else {
        match listed.as_ref().filter(|l| l.len() == after.len()) {
            Some(l) => l.clone(),
            None => return,
        }
    };
    for (i, span) in after.into_iter().zip(items) {
        facts[i].item = Some(span);
    }
}

/// Whether `b` follows `a` within one full sentence: nothing but `；`,
/// `，` and words between them, no `。` or line break.
fn same_period(text: &str, a: &Group, b: &Group) -> bool {
    a.sentence == b.sentence
        || (a.end <= b.start && !text[a.end..b.start].contains(['。', '！', '？', '!', '?', '\n']))
}

/// A count clause followed by its amount clause (`签约项目12个，总投资30亿元`)
/// is one fact.
fn merge_amount_clauses(groups: &mut Vec<Group>, from: usize) {
    let tail: Vec<Group> = groups.drain(from..).collect();
    for b in tail {
        if let Some(a) = groups.last_mut().filter(|a| {
            a.sentence == b.sentence
                && b.first_clause == a.last_clause + 1
                && a.kind == b.kind
                && a.kind != EventKind::Project
                && a.facts.iter().all(|f| f.metric.is_count())
                && b.facts.iter().all(|f| f.metric == Metric::Amount)
                && a.actor.is_none()
                && b.actor.is_none()
        }) {
            a.end = b.end;
            a.last_clause = b.last_clause;
            a.facts.extend(b.facts);
            a.status = a.status.or(b.status);
        } else {
            groups.push(b);
        }
    }
}

/// What two facts must share to be the same statement: kind, metric,
/// currency, scope and region (two counties' equal counts are two facts).
type FactKey = (EventKind, Metric, Option<&'static str>, Option<String>, Option<String>);

fn fact_key(kind: EventKind, region: Option<&str>, f: &Fact) -> FactKey {
    let currency = match f.q.unit {
        Unit::Money(c) => Some(c),
        Unit::Percent => Some("%"),
        Unit::Count(_) => None,
    };
    (kind, f.metric, currency, f.scope.clone(), region.map(str::to_owned))
}

/// Values as whole hundredths, so that facts can be kept in ordered maps
/// and found by range in O(log n) whatever the article's size.
fn value_key(v: f64) -> i64 {
    (v * 100.0).round() as i64
}

/// A fact in the index: value, whether approximate, its project.
type Entry = (f64, bool, Option<String>);

/// Facts already seen, by key then value.
#[derive(Default)]
struct FactIndex {
    map: HashMap<FactKey, BTreeMap<i64, Vec<Entry>>>,
}

impl FactIndex {
    fn insert(&mut self, key: FactKey, v: f64, approx: bool, project: Option<String>) {
        self.map.entry(key).or_default().entry(value_key(v)).or_default().push((v, approx, project));
    }

    /// Entries of `key` with a value in `[lo, hi]`.
    fn range(&self, key: &FactKey, lo: f64, hi: f64) -> impl Iterator<Item = &Entry> {
        self.map
            .get(key)
            .into_iter()
            .flat_map(move |m| m.range(value_key(lo) - 1..=value_key(hi) + 1).flat_map(|(_, v)| v.iter()))
    }
}

/// A statement the text repeats (title and body, a recap) is one fact:
/// later measures equal to an earlier one of the same kind, scope, region
/// and project are dropped; groups left empty go.
fn dedup(mut groups: Vec<Group>) -> Vec<Group> {
    drop_rounded_restatements(&mut groups);
    let mut seen = FactIndex::default();
    let mut counts_seen: HashSet<(Metric, i64)> = HashSet::new();
    let mut out = Vec::with_capacity(groups.len());
    for mut g in groups {
        let kind = g.kind;
        let region = g.region.as_ref().map(|r| r.adcode.clone());
        g.facts.retain(|f| {
            if f.metric.is_count() {
                let key = (f.metric, value_key(f.q.value));
                if !counts_seen.insert(key) && f.reference {
                    return false;
                }
            }
            let key = fact_key(kind, region.as_deref(), f);
            let v = f.q.value;
            let approx = f.approx.is_some();
            let dup = seen.range(&key, v * 0.995, v * 1.005).any(|(w, a, project)| {
                // a headline rounds (`1800亿元` for `1800.6亿元`); counts are exact
                let tol = if approx || *a || f.metric == Metric::Amount { 0.005 } else { 1e-9 };
                (w - v).abs() <= tol * w.abs().max(v.abs())
                    && (project.is_none() || f.project.is_none() || *project == f.project)
            });
            if !dup {
                seen.insert(key, v, approx, f.project.clone());
            }
            !dup
        });
        // a growth rate stays only beside the fact it qualifies
        let growth_only = g.facts.iter().all(|f| f.growth);
        if !g.facts.is_empty() && (!growth_only || out.last().is_some_and(|p: &Group| p.sentence == g.sentence)) {
            out.push(g);
        }
    }
    out
}

/// `突破百亿元`, `近150亿元` in a headline restate a precise figure the
/// body gives (`103.6亿元`, `149.9亿元`): the rounded one goes when a
/// precise fact of the same kind, metric, scope and region is close enough.
fn drop_rounded_restatements(groups: &mut [Group]) {
    let mut precise = FactIndex::default();
    for g in groups.iter() {
        for f in g.facts.iter().filter(|f| f.approx.is_none()) {
            precise.insert(fact_key(g.kind, g.region.as_ref().map(|r| r.adcode.as_str()), f), f.q.value, false, None);
        }
    }
    for g in groups.iter_mut() {
        let kind = g.kind;
        let region = g.region.as_ref().map(|r| r.adcode.clone());
        g.facts.retain(|f| {
            let v = f.q.value;
            let (lo, hi) = match f.approx {
                Some(Approx::About) => (v * 0.95, v * 1.05),
                Some(Approx::MoreThan) => (v, v * 1.2),
                None => return true,
            };
            !precise.range(&fact_key(kind, region.as_deref(), f), lo, hi).any(|(w, _, _)| *w >= lo && *w <= hi)
        });
    }
}

/// Character offsets of sorted byte offsets, in one pass.
fn char_offsets(text: &str, sorted: &[usize]) -> Vec<usize> {
    let mut out = Vec::with_capacity(sorted.len());
    let mut chars = 0;
    let mut byte = 0;
    for &b in sorted {
        chars += text[byte..b].chars().count();
        byte = b;
        out.push(chars);
    }
    out
}

fn without_parentheticals(s: &str) -> std::borrow::Cow<'_, str> {
    if !s.contains(['(', '（']) {
        return std::borrow::Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len());
    let mut depth = 0u32;
    for c in s.chars() {
        match c {
            '(' | '（' => depth += 1,
            ')' | '）' if depth > 0 => depth -= 1,
            _ if depth == 0 => out.push(c),
            _ => {}
        }
    }
    std::borrow::Cow::Owned(out)
}


fn ceil_char_boundary(text: &str, mut i: usize) -> usize {
    while i < text.len() && !text.is_char_boundary(i) {
        i += 1;
    }
    i
}

fn floor_char_boundary(text: &str, mut i: usize) -> usize {
    while i > 0 && !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn skip_separators(text: &str, mut i: usize) -> usize {
    for c in text[i..].chars() {
        if matches!(c, '、' | '，' | ',' | ' ' | '　' | '；' | ';') {
            i += c.len_utf8();
        } else {
            break;
        }
    }
    i
}

/// The last `n` characters of `s`.
fn tail_chars(s: &str, n: usize) -> &str {
    match s.char_indices().rev().nth(n.saturating_sub(1)) {
        Some((i, _)) if n > 0 => &s[i..],
        _ if n == 0 => "",
        _ => s,
    }
}

/// The first `n` characters of `s`.
fn take_chars(s: &str, n: usize) -> &str {
    match s.char_indices().nth(n) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}

/// The first `n` characters of `s`, stopping before any digit or quote:
/// the words right after a count belong to it only up to the next number.
fn cut_at_number(s: &str, n: usize) -> &str {
    for (k, (i, c)) in s.char_indices().enumerate() {
        if k >= n || c.is_ascii_digit() || number::chinese_value(c.encode_utf8(&mut [0; 4])).is_some() && c != '十' {
            // `500强企业`, `世界500强`: a rank inside a noun phrase, not the next figure
            let rank = c.is_ascii_digit() && s[i..].trim_start_matches(|d: char| d.is_ascii_digit()).starts_with('强');
            if k < n && rank {
                continue;
            }
            return &s[..i];
        }
    }
    s
}

/// `（人民币，下同）以上` → `以上`.
fn skip_parenthetical(s: &str) -> &str {
    let t = s.trim_start();
    if let Some(rest) = t.strip_prefix('（').or_else(|| t.strip_prefix('(')) {
        if let Some(i) = rest.find(['）', ')']) {
            return &rest[i + rest[i..].chars().next().map_or(1, |c| c.len_utf8())..];
        }
    }
    t
}

/// 约/近 → about; 超/超过/逾/突破 → more than.
fn prefix_approx(before: &str) -> Option<Approx> {
    let b = tail_chars(before, 3);
    for w in ["超过", "超", "逾", "突破", "多于", "上"] {
        if b.ends_with(w) {
            return Some(Approx::MoreThan);
        }
    }
    for w in ["约", "近", "将近", "接近", "大约"] {
        if b.ends_with(w) {
            return Some(Approx::About);
        }
    }
    None
}

/// An amount that classifies things rather than measuring one: `50亿元项目`,
/// `百亿元投资的大项目`, `都是300亿元的投资体量`, `均超过500亿元`.
fn is_category_amount(after: &str, before: &str) -> bool {
    let b = before.trim_end();
    let b = b.strip_suffix('了').unwrap_or(b);
    let b = ["超过", "超", "在", "是", "达", "达到"].iter().find_map(|w| b.strip_suffix(w)).unwrap_or(b);
    if b.ends_with('均') || b.ends_with('都') || b.ends_with('个') || b.ends_with("一批") {
        return true;
    }
    if after.starts_with('级') || after.starts_with("规模") {
        return true;
    }
    let a = after.strip_prefix("的").unwrap_or(after);
    let a = a.strip_prefix("投资的").unwrap_or(a);
    for generic in ["重特大", "特大", "重大", "大", "产业", "工业", "外资", "内资", ""] {
        if let Some(rest) = a.strip_prefix(generic) {
            if rest.starts_with("项目") || rest.starts_with("企业") {
                return true;
            }
        }
    }
    false
}

/// `的中润高效光伏电池及金刚线切片项目…` after an amount: the project it is
/// the investment of, and the byte length up to the end of its name.
fn project_after(after: &str) -> Option<(String, usize)> {
    let Some(p) = after.find("项目") else { return facility_after(after) };
    let head = &after[..p];
    // linked by 的 (`…亿元的某某项目`), a list comma (`…亿元、年产…项目`)
    // or a verb of building (`…亿元在该区建设某某项目`), or written right
    // after the amount (`计划总投资30亿元绿色医药产业园项目`)
    let name_start = if head.starts_with('、') {
        '、'.len_utf8()
    } else if let Some(i) = head.find('的') {
        i + '的'.len_utf8()
    } else if let Some(i) = BUILD_VERBS.iter().filter_map(|v| head.find(v).map(|i| i + v.len())).min() {
        i
    } else if !head.contains(['，', ',', '、', '；', '（', '(', '。']) && specific_project(&after[..p + "项目".len()]) {
        0
    } else {
        return None;
    };
    let name = &after[name_start..p + "项目".len()];
    if name.chars().count() > 40 {
        return None;
    }
    // `占地面积20万平方米的某某项目`: the name is what the last 的 leads to
    let name = name.rfind('的').map_or(name, |i| &name[i + '的'.len_utf8()..]);
    Some((name.replace(['“', '”', '"'], ""), p + "项目".len()))
}

/// Verbs of building that lead from an amount to what it builds.
const BUILD_VERBS: [&str; 6] = ["新建", "建设", "打造", "实施", "投建", "兴建"];
/// Endings of a facility's name, which names a project without 项目.
const FACILITY_ENDS: &[&str] =
    &["产业园", "园区", "园", "基地", "中心", "广场", "综合体", "小镇", "新城", "工程", "生产线", "零部件", "厂", "电站", "港"];

/// `…亿元的某某物流园将…`, `…亿元建设某某广场`: a facility named without
/// 项目 after the amount, and the byte length up to the end of its name.
fn facility_after(after: &str) -> Option<(String, usize)> {
    let s = if after.starts_with('的') {
        '的'.len_utf8()
    } else {
        BUILD_VERBS.iter().filter_map(|v| after.find(v).filter(|&i| i <= 6).map(|i| i + v.len())).min()?
    };
    let rest = &after[s..];
    let stop = ["、", "，", ",", "。", "；", "等", "将", "已", "正", "相继", "落户", "的"]
        .iter()
        .filter_map(|w| rest.find(w))
        .min()
        .unwrap_or(rest.len());
    let name = &rest[..stop];
    let n = name.chars().count();
    ((4..=30).contains(&n) && FACILITY_ENDS.iter().any(|e| name.ends_with(e)) && !name.chars().any(|c| c.is_ascii_digit()))
        .then(|| (name.replace(['“', '”', '"'], ""), s + stop))
}

/// Whether a project name names one (`某某冷链物流园项目`), not a kind
/// (`大项目`, `牵引带动力极强的大项目`).
fn specific_project(name: &str) -> bool {
    let head = name.strip_suffix("项目").unwrap_or(name);
    head.chars().count() >= 3 && !GENERIC_PROJECT_HEADS.iter().any(|g| head.ends_with(g))
}

/// Generic heads that do not name a project (`签约项目`, `重点项目`).
const GENERIC_PROJECT_HEADS: &[&str] = &[
    "签约", "重点", "招商", "引资", "重大", "合作", "产业", "投资", "外资", "内资", "工业", "农业", "大", "新", "好", "续建", "新建",
    "在建", "意向", "储备", "优质", "高新", "这些", "该", "的", "类", "等", "个", "批", "合同", "攻坚",
];

/// A project named, without a count, in an earlier clause of the sentence
/// (`…与某公司就某示范园区项目签订协议，计划投资10亿元`).
fn named_project_before(text: &str, c: Span, ex: &Extractor) -> Option<String> {
    // the clause right before `c` in the same sentence
    let before = &text[floor_char_boundary(text, c.start.saturating_sub(WINDOW))..c.start];
    let prev_end = before.trim_end_matches([',', '，', ' ']).len();
    let prev_start = before[..prev_end].rfind(['，', ',', '。', '；', ';', '\n', '：', ':']).map_or(0, |i| {
        i + before[i..].chars().next().map_or(1, |ch| ch.len_utf8())
    });
    let prev = &before[prev_start..prev_end];
    let p = prev.rfind("项目")?;
    // `…整治项目涉及7个行政村，总投资4.6亿元`: a number after the name is
    // about it; one inside the name or ending the clause is a figure of its own
    if ex.numbers.scan(prev).iter().any(|q| q.end == prev.len() || q.start < p) {
        return None;
    }
    let head = &prev[..p];
    if head.chars().count() < 4 || GENERIC_PROJECT_HEADS.iter().any(|g| head.ends_with(g)) {
        return None;
    }
    let name_start = head.rfind(['就', '与', '和', '为', '是', '对', '、', '“']).map_or(0, |i| {
        i + head[i..].chars().next().map_or(1, |ch| ch.len_utf8())
    });
    let name = &prev[name_start..p + "项目".len()];
    (name.chars().count() >= 6).then(|| name.to_owned())
}

/// `某某产业园项目总投资达60亿元`: a named project right before its
/// investment, in the same clause.
fn named_project_in(clause_before: &str) -> Option<String> {
    let t = clause_before.trim_end();
    let t = ["高达", "达到", "达", "为", "约", "近", "超过", "超"].iter().find_map(|w| t.strip_suffix(w)).unwrap_or(t);
    // `某某产业园项目高达20亿元`: the project itself, without an investment word
    let t = ["总投资额", "投资总额", "总投资", "投资额", "投资", "签约额", "签约金额"]
        .iter()
        .find_map(|w| t.strip_suffix(w))
        .or_else(|| t.ends_with("项目").then_some(t))?;
    let t = t.strip_prefix("其中").unwrap_or(t);
    if t.contains("以上") {
        return None;
    }
    let t = t.strip_suffix("计划").unwrap_or(t);
    let head = t.strip_suffix("项目")?;
    if head.chars().count() < 4 || GENERIC_PROJECT_HEADS.iter().any(|g| head.ends_with(g)) {
        return None;
    }
    let name_start = head.rfind(['就', '与', '和', '为', '是', '对', '、', '“', '的', '在']).map_or(0, |i| {
        i + head[i..].chars().next().map_or(1, |ch| ch.len_utf8())
    });
    let name = &t[name_start..];
    (name.chars().count() >= 6).then(|| name.trim_matches(['“', '”', '"']).to_owned())
}

/// `其中高技术项目255个` → `高技术项目`: the subset a count is about, when
/// the 项目 is right before the number (`项目共有`, `项目达`).
fn project_scope(near_before: &str) -> Option<String> {
    let p = near_before.rfind("项目")?;
    let link = &near_before[p + "项目".len()..];
    if link.chars().count() > 4 || !link.chars().all(|c| "共有达到为占合计总数约近超过分别".contains(c)) {
        return None;
    }
    let head = &near_before[..p];
    let start = ["其中", "中", "、", "等", "的", "签约", "开工", "建成", "投产", "引进", "招引", "在谈", "落地", "落户", "共", "新", "累计", "全市", "全省", "全县"]
        .iter()
        .filter_map(|w| head.rfind(w).map(|i| i + w.len()))
        .max()
        .unwrap_or(0);
    let modifier = head[start..].trim();
    let n = modifier.chars().count();
    if n == 0 || n > 8 || modifier.chars().any(|c| c.is_ascii_digit()) {
        return None;
    }
    if ["招商引资", "招商", "重点", "重大", "合同", "签约", "投资", "建设", "在建", "新建", "续建", "实施"].contains(&modifier) {
        return None;
    }
    Some(format!("{modifier}项目"))
}

#[cfg(test)]
mod tests;
