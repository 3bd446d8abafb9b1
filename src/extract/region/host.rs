//! What a page's host name says about its division (events.md §2.4, "the
//! envelope speaks too"): local government and news sites spell their
//! place in pinyin — `huainan.gov.cn` (淮南市), `cqwulong.cn` (重庆 + 武隆),
//! `lzq.gov.cn` (利州区, by initials), `bozhou.cn` (亳州).
//!
//! Readings come from the `pinyin` crate (every reading of a polyphone:
//! 长乐 is changle, 重庆 chongqing). A label must equal a reading, never
//! merely contain one; labels that are words of the web (www, news, gov)
//! are skipped, and a reading shorter than four letters only counts inside
//! a province or city the host or the text already names, so that a
//! portal's host (`sina`, `xinhuanet`) names nothing.

use std::collections::HashMap;

use pinyin::ToPinyinMulti;

use crate::event::{Region, RegionLevel};

/// Host labels that are no place: protocols, generic second-level domains,
/// site sections.
const GENERIC_LABELS: &[&str] = &[
    "www", "wap", "m", "gov", "cn", "com", "net", "org", "edu", "news", "info", "xxgk", "zwgk", "web", "portal", "mp", "en",
    "big5", "gb", "home", "tv", "live", "app", "h5", "zw", "zx", "fgw", "sww", "zsj", "tzcj", "swj", "cms", "jkq", "gxq",
];

/// Readings of the divisions, for matching host labels.
pub(super) struct HostIndex {
    /// Full pinyin of a short name (huainan) or a full name (lizhouqu).
    full: HashMap<String, Vec<usize>>,
    /// First letters of a full name (lzq for 利州区) or a short name (hn).
    initials: HashMap<String, Vec<usize>>,
}

/// At most this many readings per name: polyphones multiply.
const MAX_READINGS: usize = 8;

/// Characters whose reading in place names is not their common one (重庆
/// chongqing, 厦门 xiamen, 六安 lu'an, 蚌埠 bengbu, 番禺 panyu): only these
/// get all their readings. Every reading of every character would let a
/// rare one make a portal's name a place (思南 read sina).
const PLACE_POLYPHONES: &[char] = &['长', '重', '厦', '蚌', '六', '番', '乐', '都', '行', '会', '单', '莘', '浚', '铅', '涡', '大', '曲', '沈', '解'];

/// Every reading of `name` as (full pinyin, initials), or none when a
/// character has no reading.
fn readings(name: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = vec![(String::new(), String::new())];
    for c in name.chars() {
        let Some(multi) = c.to_pinyin_multi() else { return Vec::new() };
        let n = if PLACE_POLYPHONES.contains(&c) { multi.count() } else { 1 };
        let mut next = Vec::new();
        for (full, ini) in &out {
            for p in multi.into_iter().take(n) {
                if next.len() >= MAX_READINGS {
                    break;
                }
                next.push((format!("{full}{}", p.plain()), format!("{ini}{}", p.first_letter())));
            }
        }
        out = next;
    }
    out
}

impl HostIndex {
    /// Indexes each division under the readings of its names: `(idx, names)`.
    pub(super) fn new(names: impl Iterator<Item = (usize, Vec<String>)>) -> Self {
        let mut full: HashMap<String, Vec<usize>> = HashMap::new();
        let mut initials: HashMap<String, Vec<usize>> = HashMap::new();
        for (idx, forms) in names {
            for form in forms {
                for (f, i) in readings(&form) {
                    for (map, key) in [(&mut full, f), (&mut initials, i)] {
                        let v = map.entry(key).or_default();
                        if !v.contains(&idx) {
                            v.push(idx);
                        }
                    }
                }
            }
        }
        HostIndex { full, initials }
    }
}

/// The host of a url, lower-cased: `https://jkq.huainan.gov.cn/x` → `jkq.huainan.gov.cn`.
fn host(url: &str) -> Option<String> {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let host = rest.split(['/', '?', '#']).next()?.split('@').next_back()?.split(':').next()?;
    (!host.is_empty()).then(|| host.to_ascii_lowercase())
}

impl super::Divisions {
    /// The division a url's host names, if any: `within` (the region the
    /// text names, if any) settles readings several divisions share.
    pub fn host_region(&self, url: &str, within: Option<&Region>) -> Option<Region> {
        let host = host(url)?;
        let labels: Vec<&str> = host
            .split(['.', '-'])
            // a place's pinyin is short; a long label is an id (and each costs its length squared below)
            .filter(|l| !l.is_empty() && l.len() <= 30 && !GENERIC_LABELS.contains(l) && l.bytes().all(|b| b.is_ascii_lowercase()))
            .collect();
        let ctx = within.and_then(|r| self.by_code.get(&r.adcode)).copied();
        let mut found: Vec<usize> = Vec::new();
        // Long full readings first: they name one division or a few.
        for l in &labels {
            if let Some(i) = self.host_pick(self.host_index.full.get(*l), ctx, &found, l.len() >= 4) {
                found.push(i);
                continue;
            }
            // cqwulong: a place's initials, then a division inside it.
            for cut in 2..l.len().saturating_sub(3) {
                let (head, tail) = l.split_at(cut);
                // the outer place is the highest-level reading of the head,
                // confirmed only by a division inside it for the tail
                let outer = self.host_index.initials.get(head).and_then(|c| self.top_unique(c));
                let outer = outer.or_else(|| self.host_index.full.get(head).and_then(|c| self.top_unique(c)));
                let Some(o) = outer else { continue };
                if let Some(i) = self.host_pick(self.host_index.full.get(tail), Some(o), &found, false) {
                    found.push(i);
                    break;
                }
            }
        }
        // Initials (lzq) only within what is known by now, or (qdn for
        // 黔东南) a prefecture or province that alone has them.
        for l in labels.iter().filter(|l| l.len() >= 3) {
            let cands = self.host_index.initials.get(*l);
            let scope = found.last().copied().or(ctx);
            let pick = match scope {
                Some(_) => self.host_pick(cands, scope, &found, false),
                None => cands.and_then(|c| self.top_unique(c)).filter(|&i| self.regions[i].level != RegionLevel::County),
            };
            if let Some(i) = pick {
                found.push(i);
            }
        }
        // The most specific of what the labels name, when they agree.
        let best = found.iter().copied().max_by_key(|&i| super::level_rank(self.regions[i].level))?;
        found.iter().all(|&i| self.idx_within(best, i)).then(|| self.regions[best].clone())
    }

    /// The one candidate of the highest level, if only one stands there.
    fn top_unique(&self, cands: &[usize]) -> Option<usize> {
        let top = cands.iter().map(|&c| super::level_rank(self.regions[c].level)).min()?;
        let mut at_top = cands.iter().copied().filter(|&c| super::level_rank(self.regions[c].level) == top);
        let first = at_top.next()?;
        at_top.next().is_none().then_some(first)
    }

    /// One division among `cands`: the only one inside `scope` (or inside a
    /// division already found); or, when `alone_ok`, the only one at all.
    fn host_pick(&self, cands: Option<&Vec<usize>>, scope: Option<usize>, found: &[usize], alone_ok: bool) -> Option<usize> {
        let cands = cands?;
        let scopes: Vec<usize> = scope.into_iter().chain(found.iter().copied()).collect();
        for s in &scopes {
            let scope_idx = match self.regions[*s].level {
                RegionLevel::County => self.city_of[*s].unwrap_or(self.province_of[*s]),
                _ => *s,
            };
            let inside: Vec<usize> = cands.iter().copied().filter(|&c| c != *s && self.idx_within(c, scope_idx)).collect();
            if inside.len() == 1 {
                return Some(inside[0]);
            }
        }
        if alone_ok && cands.len() == 1 {
            return Some(cands[0]);
        }
        // A city and its own district share a reading (铜川, 铜川市): the city.
        if alone_ok {
            let top = cands.iter().copied().min_by_key(|&c| super::level_rank(self.regions[c].level))?;
            if cands.iter().all(|&c| self.idx_within(c, top)) {
                return Some(top);
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::super::Divisions;

    fn code(url: &str, within: Option<&str>) -> Option<String> {
        let d = Divisions::embedded().unwrap();
        let w = within.and_then(|c| d.by_code(c).cloned());
        d.host_region(url, w.as_ref()).map(|r| r.adcode)
    }

    #[test]
    fn hosts_that_name_their_division() {
        assert_eq!(code("https://jkq.huainan.gov.cn/tzzs/zsqk/1.html", None).as_deref(), Some("340400"));
        // 亳州 and 播州区 read alike: the text's province tells them apart
        assert_eq!(code("http://www.bozhou.cn/p/256508.html", Some("340000")).as_deref(), Some("341600"));
        assert_eq!(code("http://www.bozhou.cn/p/256508.html", None), None);
        assert_eq!(code("http://www.cqwulong.cn/a/1.html", None).as_deref(), Some("500156"));
        assert_eq!(code("https://lzq.gov.cn/news/show/1.html", Some("510800")).as_deref(), Some("510802"));
    }

    #[test]
    fn portals_name_nothing() {
        for url in ["http://news.sina.com.cn/c/1.shtml", "http://www.xinhuanet.com/local/1.htm", "http://www.lyredcross.com/xy/1.html", "https://lzq.gov.cn/1.html"] {
            assert_eq!(code(url, None), None, "{url}");
        }
    }
}
