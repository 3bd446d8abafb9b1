//! Region attribution of each fact (events.md §2.4): the place its own words
//! name as actor, else the subject of an earlier clause, else the statement
//! it continues, else the article's region.

use super::*;

impl Extractor {
    /// Region of each group: the division its own words name as actor, else
    /// the group before it in the sentence, else a place that is the subject
    /// of an earlier clause of the sentence, else the article's region.
    pub(super) fn resolve_regions(&self, text: &str, sentences: &[Sentence], groups: &mut [Group], article: Option<&Region>) {
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
                } else if expo && FAIR_SUBJECTS.iter().any(|w| text[floor_char_boundary(text, g.start.saturating_sub(WINDOW)).max(sentences[g.sentence].span.start)..g.end].contains(w)) {
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
    pub(super) fn without_listed_names<'s>(&self, s: &'s str) -> std::borrow::Cow<'s, str> {
        // 等 must head the projects themselves (`等项目80个`, `等8个项目`), not
        // places that did something (`济南、青岛等9市共签约项目`)
        let Some(deng) = s.match_indices('等').map(|(i, _)| i).find(|&i| {
            let after = &s[i + '等'.len_utf8()..];
            let tail = after.trim_start_matches(|c: char| c.is_ascii_digit() || "一二三四五六七八九十百两".contains(c));
            let counted = tail.len() < after.len();
            let tail = if counted { tail.strip_prefix('个').or_else(|| tail.strip_prefix('项')).unwrap_or(tail) } else { tail };
            let tail = ["重点", "重大", "产业", "工业"].iter().find_map(|w| tail.strip_prefix(w)).unwrap_or(tail);
            tail.starts_with("项目")
        }) else {
            return std::borrow::Cow::Borrowed(s);
        };
        let Some(first_item_end) = s[..deng].find('、') else { return std::borrow::Cow::Borrowed(s) };
        // the list starts after the verb that introduces it; without one,
        // the list may be the subject itself, and is kept
        let Some(start) = self.lex.cues.find(&s[..first_item_end]).map(|(_, e, _)| e).last() else {
            return std::borrow::Cow::Borrowed(s);
        };
        std::borrow::Cow::Owned(format!("{}{}", &s[..start], &s[deng..]))
    }

    /// The place an earlier clause of the sentence names as its subject
    /// (or 我市/全省 there), for a clause that names none: `None` when no
    /// clause within reach does.
    pub(super) fn subject_before(&self, text: &str, s: &Sentence, first_clause: usize, article: Option<&Region>) -> Option<Option<Region>> {
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
}
