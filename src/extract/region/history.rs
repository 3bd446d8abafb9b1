//! Former division names (长乐市 before 2017, 武隆县 before 2016) and the
//! current code of the same place, from the embedded GB/T 2260 change table
//! (`data/division-history/result.csv`, yescallop/areacodes, CC0).
//!
//! Older articles name places as they were called then. A former name is
//! mapped only when its area now has exactly one current code, so a figure
//! filed under it is filed under the same ground; an area split between
//! several successors (郊区 → two districts) is left unresolved rather than
//! guessed.

use std::collections::{BTreeSet, HashMap};

use super::{read_rows, ExtractError};

const HISTORY_CSV: &str = include_str!("../../../data/division-history/result.csv");

/// A former name and the current 6-digit code of the same place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct FormerName {
    pub name: String,
    pub code: String,
}

/// One row of the change table.
struct Row {
    code: String,
    name: String,
    in_use: bool,
    /// 变更: the code went on under another name or prefecture (弃用: retired).
    changed: bool,
    /// First year the row applied.
    from: u16,
    /// Year the row stopped applying (exclusive); none while in use.
    until: Option<u16>,
    successors: Vec<(String, Option<u16>)>,
}

/// Former prefecture- and county-level names whose area now has exactly one
/// current code, with that code. Names of two characters (郊区, 城区) are
/// generic words and left out, but for counties (陵县).
pub(super) fn former_names() -> Result<Vec<FormerName>, ExtractError> {
    let csv_text = HISTORY_CSV.trim_start_matches('\u{feff}');
    let mut by_code: HashMap<String, Vec<Row>> = HashMap::new();
    for row in read_rows(csv_text, "division-history/result.csv")? {
        let get = |i: usize| row.get(i).map(str::trim).unwrap_or("");
        let level = get(4);
        if level != "地级" && level != "县级" {
            continue;
        }
        let code = get(0).to_owned();
        if code.len() != 6 {
            continue;
        }
        let successors = get(8)
            .split(';')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| match s.split_once('[') {
                Some((c, y)) => (c.to_owned(), y.trim_end_matches(']').parse().ok()),
                None => (s.to_owned(), None),
            })
            .collect();
        by_code.entry(code.clone()).or_default().push(Row {
            code,
            name: get(3).to_owned(),
            in_use: get(5) == "在用",
            changed: get(5) == "变更",
            from: get(6).parse().unwrap_or(0),
            until: get(7).parse().ok(),
            successors,
        });
    }
    let current: HashMap<&str, &str> = by_code
        .values()
        .flatten()
        .filter(|r| r.in_use)
        .map(|r| (r.code.as_str(), r.name.as_str()))
        .collect();
    let mut out = BTreeSet::new();
    for rows in by_code.values() {
        for row in rows.iter().filter(|r| !r.in_use) {
            // 陵县 (now 陵城区) is a place; 郊区, 城区, 市区 are words
            if row.name.chars().count() <= 2 && !row.name.ends_with('县') {
                continue;
            }
            let mut found = BTreeSet::new();
            if !successors_now(&by_code, row, &mut found, 0) || found.len() != 1 {
                continue;
            }
            let Some(code) = found.into_iter().next() else { continue };
            if current.get(code.as_str()) == Some(&row.name.as_str()) {
                continue; // the same name today: nothing to learn
            }
            out.insert((row.name.clone(), code));
        }
    }
    Ok(out.into_iter().map(|(name, code)| FormerName { name, code }).collect())
}

/// The row that applied to `code` in `year`. Codes are reused (511423 was
/// 武隆县 until 1997 and is 洪雅县 since 2000), so a code alone does not
/// name a place: the year does.
fn row_at<'a>(by_code: &'a HashMap<String, Vec<Row>>, code: &str, year: u16) -> Option<&'a Row> {
    by_code.get(code)?.iter().find(|r| r.from <= year && r.until.is_none_or(|u| u > year))
}

/// Collects into `found` the current codes `row`'s area went to; false when
/// the chain is broken (a successor the table does not know) or too long.
fn successors_now(by_code: &HashMap<String, Vec<Row>>, row: &Row, found: &mut BTreeSet<String>, depth: usize) -> bool {
    if row.in_use {
        found.insert(row.code.clone());
        return true;
    }
    let Some(until) = row.until else { return false };
    if depth > 12 {
        return false;
    }
    // A changed division that kept its code (襄樊市 → 襄阳市, 420600): its
    // successor list names only the parts split off over the years.
    let kept_whole = row.successors.iter().filter(|(_, y)| y.is_none()).all(|(c, _)| *c == row.code);
    if row.changed && kept_whole {
        if let Some(next) = row_at(by_code, &row.code, until) {
            return successors_now(by_code, next, found, depth + 1);
        }
    }
    // The main successor is written without a year; parts that went
    // elsewhere earlier carry theirs. Without an untagged one, the latest.
    let untagged: Vec<&String> = row.successors.iter().filter(|(_, y)| y.is_none()).map(|(c, _)| c).collect();
    let chosen: Vec<&String> = if untagged.is_empty() {
        let latest = row.successors.iter().filter_map(|(_, y)| *y).max();
        row.successors.iter().filter(|(_, y)| *y == latest).map(|(c, _)| c).collect()
    } else {
        untagged
    };
    if chosen.is_empty() {
        return false;
    }
    for code in chosen {
        let Some(next) = row_at(by_code, code, until) else { return false };
        if std::ptr::eq(next, row) || !successors_now(by_code, next, found, depth + 1) {
            return false;
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lookup(name: &str) -> Vec<String> {
        former_names().unwrap().into_iter().filter(|f| f.name == name).map(|f| f.code).collect()
    }

    #[test]
    fn renamed_and_merged_divisions_map_to_todays_code() {
        assert_eq!(lookup("长乐市"), ["350112"]); // county-level city → district, 2017
        assert_eq!(lookup("武隆县"), ["500156"]); // county → district, 2016
        assert_eq!(lookup("襄樊市"), ["420600"]); // renamed 襄阳市, same code
        assert_eq!(lookup("襄阳区"), ["420607"]); // renamed 襄州区
    }

    #[test]
    fn generic_and_split_names_are_left_out() {
        assert!(lookup("郊区").is_empty());
        assert!(lookup("城区").is_empty());
    }
}
