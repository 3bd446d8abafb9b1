//! Quantity classification: whether a number is a measure (and of what:
//! projects, firms, activities, money, a growth rate), a threshold that
//! scopes the count after it, or neither, from the words around it.

use super::*;

impl Extractor {
    /// Whether `q` is a measure, a threshold, or neither, from its context
    /// in its slot (clause, and the words between its neighbours).
    pub(super) fn classify(&self, text: &str, at: Slot, q: &Quantity, last_count_metric: Option<Metric>) -> Classified {
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

    pub(super) fn first_firm(&self, s: &str) -> Option<usize> {
        self.lex.firm_nouns.find(s).next().map(|h| h.0)
    }

    pub(super) fn last_firm_end(&self, s: &str) -> Option<usize> {
        self.lex.firm_nouns.find(s).last().map(|h| h.1)
    }

    /// `31个签约项目`, `5个新开工项目`: cue words that only say which
    /// projects are counted (nothing else between the count and 项目).
    pub(super) fn attributive(&self, s: &str) -> bool {
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
    pub(super) fn linked(&self, s: &str) -> bool {
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
}

/// Where a quantity sits: its sentence and clause, and the byte range
/// between its neighbours that holds its own words.
#[derive(Debug, Clone, Copy)]
pub(super) struct Slot {
    pub(super) sentence_start: usize,
    pub(super) clause: Span,
    pub(super) prev_end: usize,
    pub(super) next_start: usize,
}

pub(super) enum Classified {
    Fact(Box<Fact>),
    /// A threshold or category (`10亿元以上项目`): the scope it names.
    Threshold(String),
    Nothing,
}

/// 约/近 → about; 超/超过/逾/突破 → more than.
pub(super) fn prefix_approx(before: &str) -> Option<Approx> {
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
pub(super) fn is_category_amount(after: &str, before: &str) -> bool {
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
