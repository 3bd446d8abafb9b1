//! Named projects: the project an amount is the investment of
//! (`总投资115亿元的某某项目`, `计划总投资30亿元某某产业园项目`), and the scope
//! a count of projects names.

use super::*;

/// `的中润高效光伏电池及金刚线切片项目…` after an amount: the project it is
/// the investment of, and the byte length up to the end of its name.
pub(super) fn project_after(after: &str) -> Option<(String, usize)> {
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

/// `…亿元的某某物流园将…`, `…亿元建设某某广场`: a facility named without
/// 项目 after the amount, and the byte length up to the end of its name.
pub(super) fn facility_after(after: &str) -> Option<(String, usize)> {
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
pub(super) fn specific_project(name: &str) -> bool {
    let head = name.strip_suffix("项目").unwrap_or(name);
    head.chars().count() >= 3 && !GENERIC_PROJECT_HEADS.iter().any(|g| head.ends_with(g))
}

/// A project named, without a count, in an earlier clause of the sentence
/// (`…与某公司就某示范园区项目签订协议，计划投资10亿元`).
pub(super) fn named_project_before(text: &str, c: Span, ex: &Extractor) -> Option<String> {
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
pub(super) fn named_project_in(clause_before: &str) -> Option<String> {
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
pub(super) fn project_scope(near_before: &str) -> Option<String> {
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
