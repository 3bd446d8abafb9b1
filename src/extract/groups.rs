//! Clause grouping: a sentence's quantities, classified, become groups of
//! measures that state one fact each (a count and its amount), with the kind
//! each group's cue words give and the `分别` items a list assigns.

use super::*;

impl Extractor {
    /// The facts of one sentence, appended to `out`; returns the kind of
    /// its last fact that is not a single project, if any, and the metric
    /// and kind of its last count that is not a target. `count_before` is
    /// that of the count a sentence opening with 其中 divides: its parts
    /// have its metric and, without cues of their own, its kind.
    pub(super) fn sentence_groups(
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
}

/// `A、B、C分别为x、y、z` (or `A和B分别…`): when the things listed before
/// `分别` are as many as the figures after it, each figure gets its item.
/// A clause that continues a list of the same length without naming the
/// items again (`总投资分别为96亿元、72亿元`) takes the last list's items.
pub(super) fn respective_items(text: &str, c: Span, facts: &mut [Fact], listed: &mut Option<Vec<(usize, usize)>>) {
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
pub(super) fn same_period(text: &str, a: &Group, b: &Group) -> bool {
    a.sentence == b.sentence
        || (a.end <= b.start && !text[a.end..b.start].contains(['。', '！', '？', '!', '?', '\n']))
}

/// A count clause followed by its amount clause (`签约项目12个，总投资30亿元`)
/// is one fact.
pub(super) fn merge_amount_clauses(groups: &mut Vec<Group>, from: usize) {
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
