//! Kind decision: which `EventKind` a group of measures reports, from the
//! cue tables of [`super::lexicon`] and their precedence.

use super::*;

impl Extractor {
    /// The kind of a group of facts. Precedence: a target word anywhere in
    /// the clause (力争/目标/任务: the figure is not yet real); a named
    /// project; activities are promotion; else the nearest cue before the
    /// first measure, else the nearest after it; else what the sentence,
    /// then the story so far, was about.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn decide_kind(
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
}
