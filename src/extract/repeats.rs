//! Removal of repeated statements: a fact the text states again (title and
//! body, a recap) is emitted once; distinct facts sharing a value stay apart.

use super::*;

/// What two facts must share to be the same statement: kind, metric,
/// currency, scope and region (two counties' equal counts are two facts).
pub(super) type FactKey = (EventKind, Metric, Option<&'static str>, Option<String>, Option<String>);

pub(super) fn fact_key(kind: EventKind, region: Option<&str>, f: &Fact) -> FactKey {
    let currency = match f.q.unit {
        Unit::Money(c) => Some(c),
        Unit::Percent => Some("%"),
        Unit::Count(_) => None,
    };
    (kind, f.metric, currency, f.scope.clone(), region.map(str::to_owned))
}

/// Values as whole hundredths, so that facts can be kept in ordered maps
/// and found by range in O(log n) whatever the article's size.
pub(super) fn value_key(v: f64) -> i64 {
    (v * 100.0).round() as i64
}

/// A fact in the index: value, whether approximate, its project.
pub(super) type Entry = (f64, bool, Option<String>);

/// Facts already seen, by key then value.
#[derive(Default)]
pub(super) struct FactIndex {
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
pub(super) fn dedup(mut groups: Vec<Group>) -> Vec<Group> {
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
pub(super) fn drop_rounded_restatements(groups: &mut [Group]) {
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
