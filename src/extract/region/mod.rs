//! Region resolution: place names → GB/T 2260 divisions with their chain.
//!
//! The division table (`data/divisions`, NBS codes 2023) is embedded in the
//! binary so the daemon needs no data files at run time. One aho-corasick
//! automaton holds every full name, short name and 我市-style cue, so a text
//! is scanned once whatever its length; ambiguity is settled afterwards on
//! the (few) matches, using the article's own region as context.

mod article;
mod history;
mod host;
mod names;

use std::collections::HashMap;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};

use super::ExtractError;
use crate::event::{Region, RegionLevel};
use names::{Variant, NOT_PLACE_AFTER};

const PROVINCES_CSV: &str = include_str!("../../../data/divisions/provinces.csv");
const CITIES_CSV: &str = include_str!("../../../data/divisions/cities.csv");
const AREAS_CSV: &str = include_str!("../../../data/divisions/areas.csv");
/// Team-written: former names (襄樊), colloquial forms (内蒙), state-level new areas (两江新区).
const ALIASES_CSV: &str = include_str!("../../../data/divisions/aliases.csv");

/// City-level rows of the table that are grouping placeholders, not places.
const PLACEHOLDER_CITIES: &[&str] = &["市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划"];
/// Province-level cities: their districts' city is the municipality itself.
const MUNICIPALITIES: &[&str] = &["11", "12", "31", "50"];

/// A deictic reference to the article's own division (我市, 全省, 本县).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Cue {
    /// 全省, 我省, 本省, 该省.
    Province,
    /// 全市, 我市, 本市, 该市.
    City,
    /// 全县, 我县, 本县, 该县, 全旗, 我旗.
    County,
    /// 全区, 我区, 本区, 该区: a district, a 新区 or an autonomous region.
    District,
    /// 全州, 我州, 全盟, 我盟: an autonomous prefecture or a league.
    Prefecture,
    /// 经开区, 高新区 without a place before them: the zone of the
    /// article's own division, filed under that division.
    Zone,
}

const CUES: &[(&str, Cue)] = &[
    ("全省", Cue::Province),
    ("我省", Cue::Province),
    ("本省", Cue::Province),
    ("该省", Cue::Province),
    ("全市", Cue::City),
    ("我市", Cue::City),
    ("本市", Cue::City),
    ("该市", Cue::City),
    ("全县", Cue::County),
    ("我县", Cue::County),
    ("本县", Cue::County),
    ("该县", Cue::County),
    ("全旗", Cue::County),
    ("我旗", Cue::County),
    ("全区", Cue::District),
    ("我区", Cue::District),
    ("本区", Cue::District),
    ("该区", Cue::District),
    ("全州", Cue::Prefecture),
    ("我州", Cue::Prefecture),
    ("全盟", Cue::Prefecture),
    ("我盟", Cue::Prefecture),
    // a zone or the city's own departments, unnamed: the article's city
    ("经开区", Cue::Zone),
    ("高新区", Cue::Zone),
    ("市直", Cue::City),
];

/// Words after 全省/全市 that rank, not speak (增速全省靠前, 全市第一).
const RANKING_AFTER: &[&str] = &["靠前", "居中", "前列", "之首", "排名", "排位", "领先", "首位", "位次", "居首", "前茅", "同类", "第一", "第二", "第三"];
/// Words before 全省/全市 that rank (居全省第二, 位列全市前三).
const RANKING_BEFORE: &[&str] = &["居", "位居", "位列", "列", "排名", "排在", "占"];

/// The division table and a name index over it. Built once, shared read-only.
pub struct Divisions {
    regions: Vec<Region>,
    /// Index of each region's province (itself for a province).
    province_of: Vec<usize>,
    /// Index of each region's city-level division: itself for a city, the
    /// municipality for a municipality and its districts, none for a
    /// province or a county directly under a province (济源市).
    city_of: Vec<Option<usize>>,
    by_code: HashMap<String, usize>,
    automaton: AhoCorasick,
    patterns: Vec<Pattern>,
    pattern_ids: HashMap<String, usize>,
    word_edges: HashMap<&'static str, u32>,
    host_index: host::HostIndex,
}

/// One string of the automaton and what it may stand for.
#[derive(Debug, Default)]
struct Pattern {
    text: String,
    chars: usize,
    cands: Vec<Cand>,
    cue: Option<Cue>,
    /// An ordinary word (`data/divisions/common_words.txt`): never a mention on its own.
    common: bool,
}

#[derive(Debug, Clone, Copy)]
struct Cand {
    idx: usize,
    short: bool,
    /// A name the division had before (长乐市 for 长乐区): it loses to a
    /// division that bears the name today.
    former: bool,
}

/// One place name found in a text. Offsets are character offsets.
#[derive(Debug, Clone, PartialEq)]
pub struct Mention {
    pub start: usize,
    pub end: usize,
    pub region: Region,
}

/// A resolved match: a division or a cue, with character and byte spans.
#[derive(Debug, Clone, Copy)]
struct Hit {
    start: usize,
    end: usize,
    byte_start: usize,
    byte_end: usize,
    kind: HitKind,
    /// Written without its suffix (贵州 for 贵州省).
    short: bool,
}

#[derive(Debug, Clone, Copy)]
enum HitKind {
    Place(usize),
    Cue(Cue),
}

/// A text's place-name matches, found once and screened for what they can
/// name there, awaiting a context to settle them.
pub struct Scanned<'t> {
    text: &'t str,
    screened: Vec<RawHit>,
}

/// A raw automaton match before disambiguation.
#[derive(Debug, Clone, Copy)]
struct RawHit {
    start: usize,
    end: usize,
    byte_start: usize,
    byte_end: usize,
    pattern: usize,
    /// Directly after another match (江西|南康): part of a chain of names.
    chained: bool,
}

fn level_rank(level: RegionLevel) -> u8 {
    match level {
        RegionLevel::Province => 0,
        RegionLevel::City => 1,
        RegionLevel::County => 2,
    }
}

fn read_rows(csv_text: &str, what: &str) -> Result<Vec<csv::StringRecord>, ExtractError> {
    let mut reader = csv::ReaderBuilder::new().has_headers(true).from_reader(csv_text.as_bytes());
    reader
        .records()
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| ExtractError::Divisions(format!("{what}: {e}")))
}

fn field<'r>(row: &'r csv::StringRecord, i: usize, what: &str) -> Result<&'r str, ExtractError> {
    row.get(i).map(str::trim).filter(|s| !s.is_empty()).ok_or_else(|| {
        ExtractError::Divisions(format!("{what}: row {:?} lacks column {i}", row.as_slice()))
    })
}

impl Divisions {
    /// Builds the table and the automaton from the embedded CSVs. Takes a few
    /// milliseconds; call once and share.
    pub fn embedded() -> Result<Self, ExtractError> {
        let mut regions = Vec::new();
        let mut province_of = Vec::new();
        let mut city_of = Vec::new();
        let mut by_code = HashMap::new();

        let mut province_idx: HashMap<String, usize> = HashMap::new();
        for row in read_rows(PROVINCES_CSV, "provinces.csv")? {
            let code = field(&row, 0, "provinces.csv")?;
            let name = field(&row, 1, "provinces.csv")?;
            let idx = regions.len();
            regions.push(Region {
                name: name.to_owned(),
                adcode: format!("{code}0000"),
                level: RegionLevel::Province,
                province: Some(name.to_owned()),
                city: None,
                county: None,
            });
            province_of.push(idx);
            city_of.push(MUNICIPALITIES.contains(&code).then_some(idx));
            province_idx.insert(code.to_owned(), idx);
        }

        let mut city_idx: HashMap<String, Option<usize>> = HashMap::new();
        for row in read_rows(CITIES_CSV, "cities.csv")? {
            let code = field(&row, 0, "cities.csv")?;
            let name = field(&row, 1, "cities.csv")?;
            let pcode = field(&row, 2, "cities.csv")?;
            let &p = province_idx
                .get(pcode)
                .ok_or_else(|| ExtractError::Divisions(format!("cities.csv: {code} names unknown province {pcode}")))?;
            if PLACEHOLDER_CITIES.contains(&name) {
                // Districts of a municipality belong to the municipality itself.
                city_idx.insert(code.to_owned(), city_of[p]);
                continue;
            }
            let idx = regions.len();
            regions.push(Region {
                name: name.to_owned(),
                adcode: format!("{code}00"),
                level: RegionLevel::City,
                province: regions[p].province.clone(),
                city: Some(name.to_owned()),
                county: None,
            });
            province_of.push(p);
            city_of.push(Some(idx));
            city_idx.insert(code.to_owned(), Some(idx));
        }

        for row in read_rows(AREAS_CSV, "areas.csv")? {
            let code = field(&row, 0, "areas.csv")?;
            let name = field(&row, 1, "areas.csv")?;
            let ccode = field(&row, 2, "areas.csv")?;
            let pcode = field(&row, 3, "areas.csv")?;
            let &p = province_idx
                .get(pcode)
                .ok_or_else(|| ExtractError::Divisions(format!("areas.csv: {code} names unknown province {pcode}")))?;
            let c = *city_idx
                .get(ccode)
                .ok_or_else(|| ExtractError::Divisions(format!("areas.csv: {code} names unknown city {ccode}")))?;
            // Cities without districts (东莞市, 中山市) repeat themselves as an area.
            if c.is_some_and(|c| regions[c].adcode == code) {
                continue;
            }
            regions.push(Region {
                name: name.to_owned(),
                adcode: code.to_owned(),
                level: RegionLevel::County,
                province: regions[p].province.clone(),
                city: c.map(|c| regions[c].name.clone()),
                county: Some(name.to_owned()),
            });
            province_of.push(p);
            city_of.push(c);
        }
        for (i, r) in regions.iter().enumerate() {
            if by_code.insert(r.adcode.clone(), i).is_some() {
                return Err(ExtractError::Divisions(format!("adcode {} appears twice", r.adcode)));
            }
        }

        // Two-character full names (赵县, 城区) are as exposed to ordinary
        // words as short names; the common-word list covers both.
        let common: std::collections::HashSet<&str> = names::common_words().collect();
        let mut patterns: Vec<Pattern> = Vec::new();
        let mut pattern_ids: HashMap<String, usize> = HashMap::new();
        let mut slot = |text: &str, patterns: &mut Vec<Pattern>| -> usize {
            *pattern_ids.entry(text.to_owned()).or_insert_with(|| {
                patterns.push(Pattern {
                    text: text.to_owned(),
                    chars: text.chars().count(),
                    common: common.contains(text),
                    ..Pattern::default()
                });
                patterns.len() - 1
            })
        };
        for (idx, r) in regions.iter().enumerate() {
            // Development zones (xx7x) are statistical units, not divisions:
            // their names stand for the host city (130171 石家庄高新技术产业开发区
            // → 130100). They have long descriptive names and no short form.
            let dev_zone = r.level == RegionLevel::County && r.adcode.as_bytes().get(4) == Some(&b'7');
            if dev_zone {
                let host = city_of[idx].unwrap_or(province_of[idx]);
                for v in std::iter::once(r.name.clone()).chain(dev_zone_variants(&r.name)) {
                    let p = slot(&v, &mut patterns);
                    if !patterns[p].cands.iter().any(|c| c.idx == host) {
                        patterns[p].cands.push(Cand { idx: host, short: false, former: false });
                    }
                }
                continue;
            }
            let p = slot(&r.name, &mut patterns);
            patterns[p].cands.push(Cand { idx, short: false, former: false });
            for Variant { text, short } in names::variants(&r.name, r.level) {
                let p = slot(&text, &mut patterns);
                if !patterns[p].cands.iter().any(|c| c.idx == idx) {
                    patterns[p].cands.push(Cand { idx, short, former: false });
                }
            }
        }
        for row in read_rows(ALIASES_CSV, "aliases.csv")? {
            let name = field(&row, 0, "aliases.csv")?;
            let code = field(&row, 1, "aliases.csv")?;
            let &idx = by_code
                .get(code)
                .ok_or_else(|| ExtractError::Divisions(format!("aliases.csv: {name} names unknown adcode {code}")))?;
            let p = slot(name, &mut patterns);
            patterns[p].cands.push(Cand { idx, short: false, former: false });
        }
        for f in history::former_names()? {
            // The change table is newer than the division table: a code it
            // knows and the division table does not yet is skipped.
            let Some(&idx) = by_code.get(&f.code) else { continue };
            // Full names only: a former short name (小河 of 小河区, now 花溪区)
            // lives on in towns and firms (小河镇) long after the division.
            let p = slot(&f.name, &mut patterns);
            if !patterns[p].cands.iter().any(|c| c.idx == idx) {
                patterns[p].cands.push(Cand { idx, short: false, former: true });
            }
        }
        for (text, cue) in CUES {
            let p = slot(text, &mut patterns);
            patterns[p].cue = Some(*cue);
        }
        let automaton = AhoCorasickBuilder::new()
            .match_kind(MatchKind::LeftmostLongest)
            .build(patterns.iter().map(|p| p.text.as_str()))
            .map_err(|e| ExtractError::Divisions(format!("name index: {e}")))?;
        let word_edges = names::word_edges().collect();
        let host_index = host::HostIndex::new(regions.iter().enumerate().filter(|(_, r)| r.adcode.as_bytes().get(4) != Some(&b'7')).map(|(i, r)| {
            let mut forms = vec![r.name.clone()];
            forms.extend(names::variants(&r.name, r.level).into_iter().filter(|v| v.short).map(|v| v.text));
            (i, forms)
        }));
        Ok(Divisions { regions, province_of, city_of, by_code, automaton, patterns, pattern_ids, word_edges, host_index })
    }

    /// The division with this 6-digit code.
    pub fn by_code(&self, adcode: &str) -> Option<&Region> {
        self.by_code.get(adcode).map(|&i| &self.regions[i])
    }

    /// Number of divisions in the table (provinces, cities, counties).
    pub fn len(&self) -> usize {
        self.regions.len()
    }

    pub fn is_empty(&self) -> bool {
        self.regions.is_empty()
    }

    /// Approximate heap bytes held by the table and the index, for
    /// capacity planning (an upper estimate: map overhead is counted generously).
    pub fn memory_usage(&self) -> usize {
        let strings = |r: &Region| {
            r.name.capacity()
                + r.adcode.capacity()
                + [&r.province, &r.city, &r.county].iter().filter_map(|s| s.as_ref()).map(String::capacity).sum::<usize>()
        };
        let regions: usize = self.regions.iter().map(|r| std::mem::size_of::<Region>() + strings(r)).sum();
        let patterns: usize = self
            .patterns
            .iter()
            .map(|p| std::mem::size_of::<Pattern>() + 2 * p.text.capacity() + p.cands.capacity() * std::mem::size_of::<Cand>())
            .sum();
        let per_region = std::mem::size_of::<usize>() + std::mem::size_of::<Option<usize>>();
        let maps = (self.by_code.capacity() + self.pattern_ids.capacity()) * 2 * std::mem::size_of::<(String, usize)>();
        let edges = self.word_edges.capacity() * std::mem::size_of::<(&str, u32)>();
        self.automaton.memory_usage() + regions + patterns + self.regions.len() * per_region + maps + edges
    }

    /// Whether `inner` lies inside `outer` (or is it): 铜山区 is within 徐州市
    /// and 江苏省; 万州区 is within 重庆市.
    pub fn within(&self, inner: &Region, outer: &Region) -> bool {
        match (self.by_code.get(&inner.adcode), self.by_code.get(&outer.adcode)) {
            (Some(&i), Some(&o)) => self.idx_within(i, o),
            _ => false,
        }
    }

    /// The province of a division, as a region.
    pub fn province_of(&self, r: &Region) -> Option<&Region> {
        self.by_code.get(&r.adcode).map(|&i| &self.regions[self.province_of[i]])
    }

    /// The city-level division of a region (the municipality for its districts).
    pub fn city_of(&self, r: &Region) -> Option<&Region> {
        self.by_code.get(&r.adcode).and_then(|&i| self.city_of[i]).map(|c| &self.regions[c])
    }

    /// One place name, full or short, alone or as a chain (江苏省徐州市铜山区):
    /// the most specific division it names. A bare short name that several
    /// counties share (朝阳 aside, which is also a city) resolves to none.
    pub fn resolve_name(&self, name: &str) -> Option<Region> {
        self.resolve_name_in(name, None)
    }

    /// Like [`Divisions::resolve_name`], with the article's region settling a
    /// name several divisions share (朝阳区 in a Beijing article → 110105).
    pub fn resolve_name_in(&self, name: &str, context: Option<&Region>) -> Option<Region> {
        let name = name.trim();
        let ctx = context.and_then(|r| self.by_code.get(&r.adcode)).copied();
        if let Some(&p) = self.pattern_ids.get(name) {
            if let Some(idx) = self.choose(&self.patterns[p], ctx, true) {
                return Some(self.regions[idx].clone());
            }
        }
        let ms = self.mentions_in(name, context);
        let last = ms.last()?;
        // A chain names one division: every earlier part must contain the last.
        ms.iter().all(|m| self.within(&last.region, &m.region)).then(|| last.region.clone())
    }

    /// Place names in `text`, left to right, non-overlapping (longest match
    /// wins), full names (铜山区) and short names (铜山, 萬州→万州, 甘肃).
    /// Ambiguous names are settled by the places the text itself names most.
    pub fn mentions(&self, text: &str) -> Vec<Mention> {
        self.mentions_in(text, None)
    }

    /// Like [`Divisions::mentions`], with the article's region as the context
    /// that settles ambiguous names (朝阳 in a Beijing article is 朝阳区).
    pub fn mentions_in(&self, text: &str, context: Option<&Region>) -> Vec<Mention> {
        self.hits(text, context)
            .into_iter()
            .filter_map(|h| self.mention(&h))
            .collect()
    }

    fn mention(&self, h: &Hit) -> Option<Mention> {
        match h.kind {
            HitKind::Place(idx) => Some(Mention { start: h.start, end: h.end, region: self.regions[idx].clone() }),
            HitKind::Cue(_) => None,
        }
    }

    fn idx_within(&self, inner: usize, outer: usize) -> bool {
        match self.regions[outer].level {
            RegionLevel::Province => self.province_of[inner] == outer,
            RegionLevel::City => self.city_of[inner] == Some(outer),
            RegionLevel::County => inner == outer,
        }
    }

    /// One automaton pass; byte offsets converted to character offsets on the way.
    fn scan(&self, text: &str) -> Vec<RawHit> {
        let mut out = Vec::new();
        let (mut last_byte, mut last_char) = (0usize, 0usize);
        for m in self.automaton.find_iter(text) {
            let start = last_char + text[last_byte..m.start()].chars().count();
            let pattern = m.pattern().as_usize();
            let end = start + self.patterns[pattern].chars;
            let chained = !out.is_empty() && last_byte == m.start();
            out.push(RawHit { start, end, byte_start: m.start(), byte_end: m.end(), pattern, chained });
            last_byte = m.end();
            last_char = end;
        }
        out
    }

    /// Matches resolved to divisions and cues. `context` (the article's
    /// region) settles ambiguous names; without it, the unambiguous names of
    /// the text itself provide the context.
    fn hits(&self, text: &str, context: Option<&Region>) -> Vec<Hit> {
        self.hits_of(&self.scanned(text), context)
    }

    /// `text`'s matches, scanned and screened, for resolving under several
    /// contexts without searching the text again.
    pub fn scanned<'t>(&self, text: &'t str) -> Scanned<'t> {
        // Screened once: inferring the context and settling under it both
        // need the same context-free verdicts, which cost more than `choose`.
        let screened = self.scan(text).iter().filter_map(|h| self.screen(text, h)).collect();
        Scanned { text, screened }
    }

    fn hits_of(&self, scanned: &Scanned<'_>, context: Option<&Region>) -> Vec<Hit> {
        let ctx = match context.and_then(|r| self.by_code.get(&r.adcode)) {
            Some(&i) => Some(i),
            None => self.infer_context(&scanned.screened),
        };
        scanned.screened.iter().filter_map(|h| self.settle(h, ctx)).collect()
    }

    /// Like [`Divisions::mentions`], on a text already scanned.
    pub fn mentions_of(&self, scanned: &Scanned<'_>) -> Vec<Mention> {
        self.hits_of(scanned, None).iter().filter_map(|h| self.mention(h)).collect()
    }

    /// The city (or else province) most named by unambiguous matches.
    fn infer_context(&self, screened: &[RawHit]) -> Option<usize> {
        let mut cities: HashMap<usize, usize> = HashMap::new();
        let mut provinces: HashMap<usize, usize> = HashMap::new();
        for h in screened {
            let Some(Hit { kind: HitKind::Place(idx), .. }) = self.settle(h, None) else { continue };
            *provinces.entry(self.province_of[idx]).or_default() += 1;
            if let Some(c) = self.city_of[idx] {
                *cities.entry(c).or_default() += 1;
            }
        }
        let best = |m: &HashMap<usize, usize>| m.iter().max_by_key(|(&i, &n)| (n, std::cmp::Reverse(i))).map(|(&i, &n)| (i, n));
        match (best(&cities), best(&provinces)) {
            (Some((c, n)), _) if n >= 2 => Some(c),
            (_, Some((p, _))) => Some(p),
            _ => None,
        }
    }

    /// The part of resolving a match that does not depend on the context:
    /// `None` for a match that names nothing where it stands, else the match
    /// itself or the shorter name it falls back to.
    fn screen(&self, text: &str, h: &RawHit) -> Option<RawHit> {
        let pat = &self.patterns[h.pattern];
        let after = &text[h.byte_end..];
        let before = &text[..h.byte_start];
        if pat.cue.is_some() {
            // 全市场 is "the whole market"; 日本市场 holds 本市; 增速全省靠前,
            // 居全市第一 rank a place among others, they do not speak for it.
            if after.starts_with('场') || before.ends_with('日') || (RANKING_AFTER.iter().any(|w| after.starts_with(w)) && !["第一季度", "第二季度", "第三季度", "第一批", "第二批", "第三批"].iter().any(|w| after.starts_with(w))) || RANKING_BEFORE.iter().any(|w| before.ends_with(w)) {
                return None;
            }
            return Some(*h);
        }
        // A suffix that belongs to the next word (合作市|场, 成县|域) does not
        // make a full name: fall back to what the text names without it.
        let last = pat.text.chars().last();
        let next = after.chars().next();
        let split = matches!((last, next), (Some('市'), Some('场')) | (Some('县'), Some('域' | '级' | '城')) | (Some('区'), Some('域')));
        if split {
            let shorter = &pat.text[..pat.text.len() - last.map_or(0, char::len_utf8)];
            let &p = self.pattern_ids.get(shorter)?;
            let cut = RawHit { end: h.end - 1, byte_end: h.byte_end - last.map_or(0, char::len_utf8), pattern: p, ..*h };
            return self.screen(text, &cut);
        }
        let all_short = pat.cands.iter().all(|c| c.short);
        if all_short
            && (NOT_PLACE_AFTER.iter().any(|w| after.starts_with(w))
                || names::is_given_name(before, after)
                || names::inside_feature_name(before, &pat.text)
                || (!h.chained
                    && names::straddles_words(
                        &self.word_edges,
                        before,
                        &pat.text,
                        after,
                        pat.cands.iter().all(|c| self.regions[c.idx].level == RegionLevel::County),
                    )))
        {
            return None;
        }
        Some(*h)
    }

    /// A screened match as a cue, or as the division `ctx` makes of it.
    fn settle(&self, h: &RawHit, ctx: Option<usize>) -> Option<Hit> {
        let pat = &self.patterns[h.pattern];
        let kind = match pat.cue {
            Some(cue) => HitKind::Cue(cue),
            None => HitKind::Place(self.choose(pat, ctx, false)?),
        };
        let short = match kind {
            HitKind::Place(idx) => pat.cands.iter().any(|c| c.idx == idx && c.short),
            HitKind::Cue(_) => false,
        };
        Some(Hit { start: h.start, end: h.end, byte_start: h.byte_start, byte_end: h.byte_end, kind, short })
    }

    /// The policy for a name several divisions share, or that is also a word:
    /// 1. ordinary words (和平, 新建) never, unless `allow_common`;
    /// 2. a candidate inside the context's city, else its province, wins —
    ///    the higher-level one if several (朝阳市 over its 朝阳县);
    /// 3. otherwise the highest level wins when it is alone there (海南 →
    ///    海南省, not 海南区; 吉林 → 吉林省);
    /// 4. a county-level name that several counties share, with no context
    ///    to choose, names nothing (鼓楼区, 通州).
    fn choose(&self, pat: &Pattern, ctx: Option<usize>, allow_common: bool) -> Option<usize> {
        if pat.cands.is_empty() || (pat.common && !allow_common) {
            return None;
        }
        let best_of = |cands: &mut dyn Iterator<Item = &Cand>| -> Option<usize> {
            let mut v: Vec<&Cand> = cands.collect();
            if v.iter().any(|c| !c.former) {
                v.retain(|c| !c.former);
            }
            let top = v.iter().map(|c| level_rank(self.regions[c.idx].level)).min()?;
            v.retain(|c| level_rank(self.regions[c.idx].level) == top);
            // Prefer a full-name reading over a short one at the same level.
            if v.len() > 1 {
                let full: Vec<&Cand> = v.iter().copied().filter(|c| !c.short).collect();
                if full.len() == 1 {
                    return Some(full[0].idx);
                }
            }
            (v.len() == 1).then(|| v[0].idx)
        };
        if let Some(c) = ctx {
            let scopes = [self.city_of[c], Some(self.province_of[c])];
            for scope in scopes.into_iter().flatten() {
                let mut inside = pat.cands.iter().filter(|k| self.idx_within(k.idx, scope));
                if let Some(i) = best_of(&mut inside) {
                    return Some(i);
                }
            }
        }
        best_of(&mut pat.cands.iter())
    }
}

/// Colloquial names of development zones: 石家庄高新技术产业开发区 → 石家庄高新区.
fn dev_zone_variants(full: &str) -> Vec<String> {
    let mut out = Vec::new();
    for (long, short) in [("高新技术产业开发区", "高新区"), ("经济技术开发区", "经开区")] {
        if let Some(base) = full.strip_suffix(long) {
            let base = base.trim_end_matches('市');
            if base.chars().count() >= 2 {
                out.push(format!("{base}{short}"));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests;
