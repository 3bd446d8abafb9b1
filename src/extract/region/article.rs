//! Which division an article, and each fact stated in it, is about.
//!
//! An article's own region is what 我市/全市/全区 refer to; it is told by the
//! source (来源:铜川市人民政府, 扬州日报), the title, a dateline, or failing
//! those by the place the text keeps naming. A fact's region is the most
//! specific division its clause names as the actor — not a venue (在上海举办)
//! or a partner (与苏州签约) — else the article's region.

// BTreeMap for the weights: sums taken in a fixed order give the same
// floats, and so the same region, on every run.
use std::collections::{BTreeMap, HashMap};

use super::{Cue, Divisions, Hit, HitKind, Scanned};
use crate::extract::text::{head_while, take_chars};
use crate::event::{Region, RegionLevel};

/// Words before a place that make it a venue, a destination or a partner
/// rather than the actor: 在上海举办, 赴深圳招商, 与苏州市签约, 来自浙江.
const VENUE_BEFORE: &[&str] = &[
    "来自", "前往", "走进", "飞赴", "抵达", "赶赴", "奔赴", "远赴", "深入", "在", "赴", "到", "与", "同", "于", "至",
    "跟", "从",
    // the object of a signing or an attraction: a project's or a firm's name (签约北京中信…项目)
    "签约", "签订", "引进", "招引",
];
/// Words after a place that make it the origin of partners, not the actor.
const PARTNER_AFTER: &[&str] = &["客商", "商会", "籍", "侨", "乡贤", "企业家", "等地", "等城市", "等省", "等国"];
/// Whether a place is followed by where it invests (重庆市在川投资,
/// 香港对湘实际投资, 浙商来甘投资): it is the investors' origin; the figure
/// belongs to the place invested in.
fn invests_elsewhere(after: &str) -> bool {
    let Some(rest) = after.strip_prefix(['在', '来', '对', '赴']) else { return false };
    let rest = take_chars(rest, 8);
    let place = head_while(rest, 8, |c| !matches!(c, '投' | '实' | '，' | ',' | '。'));
    (1..=4).contains(&place.chars().count()) && rest[place.len()..].trim_start_matches("实际").starts_with("投资")
}

/// Verbs after 在+place that make the place a project's site, not a venue.
const PROJECT_SITE_AFTER: &[&str] = &["投资", "建设", "新建", "兴建", "实施", "打造", "布局", "落地", "落户", "开工", "建成", "设立"];
/// Joiners that continue a list: a place listed after a venue is a venue too.
const LIST_JOINERS: &[&str] = &["", "、", "和", "及", "与", "以及", ",", "，"];
/// A dateline or source names the publisher: 扬州日报, 台海网10月11日讯.
const PUBLISHER_AFTER: &[&str] = &["日报", "晚报", "报", "网", "电视台", "广播", "融媒", "发布", "新闻"];

/// Weights of the evidence for the article's region. A source line or the
/// publisher of a dateline speaks for the whole article; the title is what it
/// is about; each body mention is a vote, heavier near the top.
const W_SOURCE: f64 = 10.0;
const W_TITLE: f64 = 6.0;
const W_DATELINE: f64 = 5.0;
const W_HEADER: f64 = 3.0;
const W_BODY: f64 = 1.0;
const W_LEAD_BONUS: f64 = 1.0;
const LEAD_CHARS: usize = 200;
const W_VENUE: f64 = 0.3;
/// A line that is mostly place names is navigation or a list of links.
const W_LIST: f64 = 0.3;
/// A place that opens a clause is usually its subject (北林区共签约…).
const W_SUBJECT: f64 = 2.0;

/// How a place stands in its sentence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    Actor,
    /// A venue, destination or partner.
    Elsewhere,
    /// Inside quotation marks or brackets: the name of an event, a document or a firm.
    Named,
}

impl Divisions {
    /// The article's own region — what 我市/全市/本市/全区/我州 refer to — from
    /// the title, the source, the dateline, or the dominant place in the text.
    pub fn article_region(&self, title: Option<&str>, source: Option<&str>, text: &str) -> Option<Region> {
        self.article_region_weighed(title, source, text).map(|(r, _)| r)
    }

    /// The article's region and whether any place in it stands as an actor
    /// (a region told only by venues, names inside names or origins is weak).
    fn article_region_weighed(&self, title: Option<&str>, source: Option<&str>, text: &str) -> Option<(Region, bool)> {
        let mut own: BTreeMap<usize, f64> = BTreeMap::new();
        // Votes from a place standing as an actor (not a venue, a partner,
        // a name inside a name or a news agency's dateline): only a division
        // with some of these may be chosen below its province.
        let mut firm: BTreeMap<usize, f64> = BTreeMap::new();
        let mut vote = |idx: usize, w: f64, is_firm: bool| {
            *own.entry(idx).or_default() += w;
            if is_firm {
                *firm.entry(idx).or_default() += w;
            }
        };
        for (s, w) in [(source, W_SOURCE), (title, W_TITLE)] {
            let Some(s) = s else { continue };
            let hits = self.hits(s, None);
            for (k, (h, role)) in hits.iter().zip(roles(s, &hits)).enumerate() {
                if self.chain_parent(&hits, k) {
                    continue;
                }
                if let HitKind::Place(idx) = h.kind {
                    // 铜川在上海举办推介会: the title is about 铜川.
                    match role {
                        Role::Elsewhere => vote(idx, w * W_VENUE, false),
                        Role::Named => vote(idx, w, false),
                        Role::Actor => vote(idx, w, true),
                    }
                }
            }
        }

        let hits = self.hits(text, None);
        let roles = roles(text, &hits);
        let header_end = header_end(text);
        let listed = list_lines(text, &hits);
        let mut cues: HashMap<Cue, usize> = HashMap::new();
        // Kept incrementally so that the loop stays linear in the text.
        let (mut line_start, mut scanned) = (0usize, 0usize);
        for (k, (h, role)) in hits.iter().zip(&roles).enumerate() {
            if let Some(i) = text[scanned..h.byte_start].rfind('\n') {
                line_start = scanned + i + 1;
            }
            scanned = h.byte_start;
            let idx = match h.kind {
                HitKind::Cue(c) => {
                    *cues.entry(c).or_default() += 1;
                    continue;
                }
                HitKind::Place(_) if self.chain_parent(&hits, k) => continue,
                HitKind::Place(idx) => idx,
            };
            let line_before = tail(&text[line_start..h.byte_start], 90);
            let at_line_start = line_before.len() < 90 && line_before.chars().count() <= 30;
            let after = &text[h.byte_end..];
            let dateline = dateline_place(line_before, after);
            let (w, is_firm) = if names_source(line_before) {
                (W_SOURCE, true)
            } else if dateline == Some(true) {
                // 本报富阳…电: a county paper at home; 本报兰州电 is as often a
                // provincial paper at its capital's fair
                (W_DATELINE, self.regions[idx].level == RegionLevel::County)
            } else if dateline == Some(false) {
                // 新华社兰州7月19日电: where the reporter filed from, often a venue.
                (W_DATELINE * W_VENUE, false)
            } else if listed.contains(&line_start) {
                (W_LIST, false)
            } else if at_line_start
                && PUBLISHER_AFTER.iter().any(|p| after.chars().take(8).collect::<String>().contains(p))
                && !line_before.ends_with("本报")
            {
                (W_DATELINE, true)
            } else if h.byte_start < header_end {
                (W_HEADER, *role == Role::Actor)
            } else {
                let base = W_BODY + if h.start < LEAD_CHARS { W_LEAD_BONUS } else { 0.0 };
                match role {
                    Role::Actor if opens_clause(line_before) => (base * W_SUBJECT, true),
                    Role::Actor => (base, true),
                    // “济宁市重点招商项目签约暨合作恳谈会”: the place an event is named after holds it
                    Role::Named if names_own_event(&text[..h.byte_start], after) => (base, true),
                    Role::Elsewhere | Role::Named => (base * W_VENUE, false),
                }
            };
            vote(idx, w, is_firm);
        }
        let chosen = self.dominant(&own, &firm, &cues)?;
        let firm_here = firm.iter().any(|(&i, &w)| w > 0.0 && (self.idx_within(i, chosen) || self.idx_within(chosen, i)));
        Some((self.regions[chosen].clone(), firm_here))
    }

    /// Like [`Divisions::article_region`], with the page's url: a host that
    /// names a division (`huainan.gov.cn`, `cqwulong.cn`) inside the one the
    /// text settles on narrows it (全市 on 淮南's site is 淮南市), and names
    /// the article's division when the text names none. Text beats url where
    /// they disagree, and an article that speaks for its province (全省)
    /// stays there whatever site carries it.
    pub fn article_region_at(&self, title: Option<&str>, source: Option<&str>, text: &str, url: Option<&str>) -> Option<Region> {
        let weighed = self.article_region_weighed(title, source, text);
        let weak = weighed.as_ref().is_some_and(|(_, firm)| !firm);
        let from_text = weighed.map(|(r, _)| r);
        let Some(from_host) = url.and_then(|u| self.host_region(u, from_text.as_ref())) else { return from_text };
        match from_text {
            None => Some(from_host),
            Some(t) if t.adcode == from_host.adcode => Some(t),
            // a text that names its place only inside names (三江生物) or as
            // a venue does not outweigh the site's own host
            Some(_) if weak => Some(from_host),
            Some(t) => {
                let provincial = t.level == RegionLevel::Province
                    && self.city_of(&t).is_none()
                    && (["全省", "我省", "本省"].iter().any(|w| text.contains(w))
                        || (t.name.ends_with("自治区") && ["全区", "我区"].iter().any(|w| text.contains(w))));
                if self.within(&from_host, &t) && !provincial {
                    Some(from_host)
                } else {
                    Some(t)
                }
            }
        }
    }

    /// Whether hit `k` only opens a chain (天津市|东丽区, 江苏省|徐州市): its
    /// child, right after it, names the place and votes for it already;
    /// a second vote for the parent would hide the child's share.
    fn chain_parent(&self, hits: &[Hit], k: usize) -> bool {
        let (Some(h), Some(next)) = (hits.get(k), hits.get(k + 1)) else { return false };
        match (h.kind, next.kind) {
            (HitKind::Place(i), HitKind::Place(j)) => next.byte_start == h.byte_end && j != i && self.idx_within(j, i),
            _ => false,
        }
    }

    /// Rolls votes up the chain (a county's vote supports its city and
    /// province) and descends from the best province while one child carries
    /// most of the weight, or the 我市/全县 cues say the article speaks from
    /// a lower level.
    fn dominant(&self, own: &BTreeMap<usize, f64>, firm: &BTreeMap<usize, f64>, cues: &HashMap<Cue, usize>) -> Option<usize> {
        let roll_up = |votes: &BTreeMap<usize, f64>| {
            let mut sup: BTreeMap<usize, f64> = BTreeMap::new();
            for (&idx, &w) in votes {
                let p = self.province_of[idx];
                *sup.entry(p).or_default() += w;
                if let Some(c) = self.city_of[idx].filter(|&c| c != p) {
                    *sup.entry(c).or_default() += w;
                }
                if self.regions[idx].level == RegionLevel::County {
                    *sup.entry(idx).or_default() += w;
                }
            }
            sup
        };
        let sup = roll_up(own);
        let sup_firm = roll_up(firm);
        // A fair's host city, named only as its venue, in the fair's name or
        // in an agency's dateline, does not own the fair: its province does.
        // Unless the article speaks as a city or county (全市, 我县) and
        // names no other place of that level as an actor (亳州籍 is all
        // that names the city of a 全市 report).
        let has_firm = |i: usize| sup_firm.get(&i).is_some_and(|&w| w > 0.0);
        let n = |c: Cue| *cues.get(&c).unwrap_or(&0) as f64;
        let speaks_below = n(Cue::City) + n(Cue::Prefecture) + n(Cue::County) > 0.0;
        let best = |pred: &dyn Fn(usize) -> bool| {
            let top = |firm_only: bool| {
                sup.iter()
                    .filter(|(&i, _)| {
                        pred(i) && (!firm_only || self.regions[i].level == RegionLevel::Province || has_firm(i))
                    })
                    .max_by(|a, b| a.1.total_cmp(b.1).then(b.0.cmp(a.0)))
                    .map(|(&i, &w)| (i, w))
            };
            top(true).or_else(|| if speaks_below { top(false) } else { None })
        };
        // An article that says 我省 speaks for a province it names as an
        // actor, not for the one it only names as the venue (在湖南长沙开幕).
        let prov = |i: usize| self.regions[i].level == RegionLevel::Province;
        let firm_prov = (n(Cue::Province) > 0.0)
            .then(|| {
                sup.iter()
                    .filter(|(&i, _)| prov(i) && has_firm(i))
                    .max_by(|a, b| a.1.total_cmp(b.1).then(b.0.cmp(a.0)))
                    .map(|(&i, &w)| (i, w))
            })
            .flatten();
        let (p, wp) = firm_prov.or_else(|| best(&prov))?;
        let autonomous_region = self.regions[p].name.ends_with("自治区");
        let (n_district_high, n_district_low) =
            if autonomous_region { (n(Cue::District), 0.0) } else { (0.0, n(Cue::District)) };
        let high = n(Cue::Province) + n_district_high;
        let mut chosen = p;
        let mut wc = wp;
        if self.city_of[p] != Some(p) {
            let below = n(Cue::City) + n(Cue::Prefecture) + n(Cue::County) + n_district_low;
            // An article that says 我省 and never 我市 speaks for its province,
            // however often it names the provincial capital.
            let provincial_voice = high > 0.0 && below == 0.0;
            if let Some((c, w)) = best(&|i| self.regions[i].level == RegionLevel::City && self.province_of[i] == p) {
                let share = w / wp;
                if (share >= 0.5 && !provincial_voice) || (below > high && share >= 0.25) {
                    chosen = c;
                    wc = w;
                }
            }
        }
        if chosen != p || self.city_of[p] == Some(p) {
            let city_cues = n(Cue::City) + n(Cue::Prefecture);
            let county_cues = n(Cue::County) + n_district_low;
            if let Some((k, w)) =
                best(&|i| self.regions[i].level == RegionLevel::County && self.city_of[i] == Some(chosen))
            {
                let share = w / wc;
                // 全市 fits a county-level city (晋江市) as well as its prefecture;
                // for a district or county it is the prefecture speaking.
                let descend = if self.regions[k].name.ends_with('市') {
                    share >= 0.6 || (share >= 0.45 && city_cues > 0.0)
                } else {
                    let city_voice = city_cues > county_cues;
                    (share >= 0.6 && !city_voice) || share >= 0.8 || (share >= 0.3 && county_cues > city_cues)
                };
                if descend {
                    chosen = k;
                }
            }
        } else if let Some((k, w)) =
            best(&|i| self.regions[i].level == RegionLevel::County && self.city_of[i].is_none() && self.province_of[i] == p)
        {
            // A county-level city directly under its province (济源市, 仙桃市).
            if w / wp >= 0.6 {
                chosen = k;
            }
        }
        Some(chosen)
    }

    /// The region a fact stated in `clause` belongs to: the most specific
    /// division the clause names as its actor (disambiguated by the article's
    /// region), else the article's region. Venues (在上海举办推介会), partners
    /// (与苏州市签约, 浙江客商) and names inside quotes (“河南省投资洽谈会”)
    /// are not actors; 我市/全省 resolve against the article's region.
    pub fn clause_region(&self, clause: &str, article: Option<&Region>) -> Option<Region> {
        self.clause_region_of(&self.scanned(clause), article)
    }

    /// Like [`Divisions::clause_region`], on a clause already scanned.
    pub fn clause_region_of(&self, clause: &Scanned<'_>, article: Option<&Region>) -> Option<Region> {
        self.clause_actor_of(clause, article).or_else(|| article.cloned())
    }

    /// The division `clause` itself names as its actor — a place, or a cue
    /// (我市, 全省) resolved against `article` — with no fallback: `None`
    /// when the clause names no actor, so a caller can look for one in the
    /// clauses around it before settling for the article's region.
    pub fn clause_actor(&self, clause: &str, article: Option<&Region>) -> Option<Region> {
        self.clause_actor_of(&self.scanned(clause), article)
    }

    /// Like [`Divisions::clause_actor`], on a clause already scanned.
    pub fn clause_actor_of(&self, scanned: &Scanned<'_>, article: Option<&Region>) -> Option<Region> {
        let clause = scanned.text;
        let art = article.and_then(|r| self.by_code.get(&r.adcode)).copied();
        let hits = self.hits_of(scanned, article);
        let roles = roles(clause, &hits);
        if let Some(joint) = self.joint_subject(clause, &hits, &roles) {
            return joint.map(|i| self.regions[i].clone());
        }
        let mut chosen: Option<(usize, usize)> = None; // (region, byte end of the hit)
        for (h, role) in hits.iter().zip(&roles) {
            if *role != Role::Actor {
                continue;
            }
            let idx = match h.kind {
                // A place outside the article's region is the actor only as the
                // subject; inside a phrase (…的绥化营港物流公司…项目, 引进深圳企业)
                // it names a firm or an origin, and the article's region stands.
                HitKind::Place(i) if art.is_some_and(|a| !self.idx_within(i, a)) && !subject_like(&clause[..h.byte_start]) => {
                    continue
                }
                // `贵州航空产业城项目2个` in an 安顺 article: the province opens
                // a project's name; the project is the article's
                HitKind::Place(i)
                    if art.is_some_and(|a| a != i && self.idx_within(a, i))
                        && h.short
                        && names_a_thing(&clause[h.byte_end..]) =>
                {
                    continue
                }
                HitKind::Place(i) => i,
                HitKind::Cue(c) => match art {
                    Some(a) => self.cue_target(c, a),
                    None => continue,
                },
            };
            chosen = match chosen {
                None => Some((idx, h.byte_end)),
                Some((cur, cur_end)) => {
                    let adjacent = h.byte_start - cur_end <= 8 && clause[cur_end..h.byte_start].trim().is_empty();
                    // 江苏省徐州市铜山区 is one chain; 河南省…我市 narrows a
                    // province that only framed the article's own city.
                    let broader_than_article = art.is_some_and(|a| a != cur && self.idx_within(a, cur));
                    if idx != cur && self.idx_within(idx, cur) && (adjacent || broader_than_article) {
                        Some((idx, h.byte_end))
                    } else {
                        Some((cur, cur_end))
                    }
                }
            };
        }
        chosen.map(|(i, _)| self.regions[i].clone())
    }

    /// `济南、青岛…9市共带队招商10次`, `北京、重庆、广东…五省市…`: sibling
    /// places listed as one subject own the figure together — their common
    /// city or province, or none (the article's region then) when they
    /// share neither. `None` when the clause has no such list; a `分别`
    /// clause gives each its own figure and is left to the caller.
    fn joint_subject(&self, clause: &str, hits: &[Hit], roles: &[Role]) -> Option<Option<usize>> {
        if clause.contains("分别") {
            return None;
        }
        let mut list: Vec<usize> = Vec::new();
        let mut prev_end: Option<usize> = None;
        for (h, role) in hits.iter().zip(roles) {
            let HitKind::Place(i) = h.kind else { continue };
            if *role != Role::Actor {
                continue;
            }
            let joined = prev_end.is_some_and(|e| e <= h.byte_start && ["、", "和", "及", "与"].contains(&clause[e..h.byte_start].trim()));
            if !list.is_empty() && !joined {
                break;
            }
            // a list after a verb (吸引深圳、广州企业) names origins or objects
            if list.is_empty() && !subject_like(&clause[..h.byte_start]) {
                return None;
            }
            list.push(i);
            prev_end = Some(h.byte_end);
        }
        if list.len() < 2 || list.iter().any(|&a| list.iter().any(|&b| a != b && self.idx_within(a, b))) {
            return None;
        }
        let city = self.city_of[list[0]].filter(|&c| list.iter().all(|&i| self.city_of[i] == Some(c)) && c != list[0]);
        let province = self.province_of[list[0]];
        let same_province = list.iter().all(|&i| self.province_of[i] == province) && !list.contains(&province);
        Some(city.or(same_province.then_some(province)))
    }

    /// What a cue refers to, given the article's region: 全省 → its
    /// province; 全市 → the article itself when it is a 市 (a county-level
    /// city says 全市 too), else its city; 全县/全区 → the article.
    pub fn cue_region(&self, cue: Cue, article: &Region) -> Option<Region> {
        let a = *self.by_code.get(&article.adcode)?;
        Some(self.regions[self.cue_target(cue, a)].clone())
    }

    fn cue_target(&self, cue: Cue, a: usize) -> usize {
        let r = &self.regions[a];
        match cue {
            Cue::Province => self.province_of[a],
            Cue::City if r.name.ends_with('市') || r.level != RegionLevel::County => a,
            Cue::City | Cue::Prefecture if r.level == RegionLevel::County => self.city_of[a].unwrap_or(a),
            _ => a,
        }
    }
}

/// Byte offsets of the lines that are mostly place names (a site's
/// navigation, a list of related links): at least three places covering
/// half of the line's visible characters.
fn list_lines(text: &str, hits: &[Hit]) -> std::collections::HashSet<usize> {
    let mut out = std::collections::HashSet::new();
    let mut i = 0;
    while i < hits.len() {
        let line_start = text[..hits[i].byte_start].rfind('\n').map_or(0, |p| p + 1);
        let line_end = text[hits[i].byte_end..].find('\n').map_or(text.len(), |p| hits[i].byte_end + p);
        let mut j = i;
        let mut covered = 0;
        while j < hits.len() && hits[j].byte_start < line_end {
            if matches!(hits[j].kind, HitKind::Place(_)) {
                covered += hits[j].end - hits[j].start;
            }
            j += 1;
        }
        let places = hits[i..j].iter().filter(|h| matches!(h.kind, HitKind::Place(_))).count();
        let visible = text[line_start..line_end].chars().filter(|c| !c.is_whitespace()).count();
        if places >= 3 && covered * 2 >= visible {
            out.insert(line_start);
        }
        i = j.max(i + 1);
    }
    out
}

/// The last `max` bytes of `s` or fewer, cut at a character boundary.
fn tail(s: &str, max: usize) -> &str {
    let mut start = s.len().saturating_sub(max);
    while !s.is_char_boundary(start) {
        start += 1;
    }
    &s[start..]
}

/// Whether a place right after `before` is the publisher of a source line
/// (来源:铜川市人民政府, 来源: 扬州日报-扬州网), not a place further along
/// a sentence that happens to say 来源.
fn names_source(before: &str) -> bool {
    let Some(i) = before.rfind("来源") else { return false };
    let rest = before[i + "来源".len()..].trim_start_matches([' ', '\u{3000}']);
    let Some(rest) = rest.strip_prefix([':', '：']) else { return false };
    rest.trim_start_matches([' ', '\u{3000}']).chars().count() <= 6
}

/// Whether a place is a dateline's (本报富阳7月6日电, 新华社兰州7月19日专电):
/// `Some(true)` after 本报, where a local paper reports on its own ground;
/// `Some(false)` after a news agency or a paper of elsewhere, which files from
/// wherever the event is held; `None` when it is no dateline.
fn dateline_place(line_before: &str, after: &str) -> Option<bool> {
    let before = line_before.trim_end_matches([' ', '\u{3000}']);
    if before.chars().count() > 12 || !before.ends_with(['社', '网', '报', '台']) {
        return None;
    }
    let head = take_chars(after, 14);
    let dated = (head.contains('日') && (head.contains('电') || head.contains('讯'))) || head.starts_with('讯');
    dated.then(|| before.ends_with("本报"))
}

/// Whether a place right after `before` opens a clause or a sentence.
fn opens_clause(before: &str) -> bool {
    let before = before.trim_end_matches([' ', '\u{3000}', '\t']);
    before.is_empty()
        || before.ends_with(['\n', '。', ',', '，', ';', '；', ':', '：', '!', '！', '?', '？', ')', '）'])
        || before.ends_with("其中")
}

/// Whether a place after `before` stands where a clause's subject stands:
/// first, or after nothing but a time phrase or a linking adverb (其中,
/// 目前, 今年1-8月) — not after a verb (引进深圳企业).
fn subject_like(before: &str) -> bool {
    let seg = tail(before, 120).rsplit(['。', ',', '，', ';', '；', ':', '：', '\n', '!', '！', '?', '？']).next().unwrap_or("");
    let seg = seg.trim();
    seg.is_empty() || SUBJECT_OPENERS.iter().any(|w| seg.ends_with(w))
}

/// What may stand before a clause's subject: time words and linking adverbs.
const SUBJECT_OPENERS: &[&str] =
    &["年", "月", "日", "度", "底", "初", "末", "年内", "以来", "年来", "期间", "其中", "目前", "同时", "此外", "另外", "当天", "今天", "近日", "日前", "据悉", "据了解", "据统计", "东道主"];

/// Byte offset where the header lines end: the lines before the first line
/// long enough to be a paragraph (site furniture, title, source and date).
fn header_end(text: &str) -> usize {
    let mut pos = 0;
    for (n, line) in text.split_inclusive('\n').enumerate() {
        if n >= 6 || line.trim().chars().count() >= 60 {
            return pos;
        }
        pos += line.len();
    }
    pos
}

/// Words that end the name of a national or international fair.
const FAIR_NAMES: &[&str] = &["洽谈会", "博览会", "交易会", "投洽会", "展览会", "贸易会", "商品交易", "经贸会"];

/// Heads of a named thing: a project, a park, a firm.
const THING_HEADS: &[&str] = &["项目", "产业城", "产业园", "园区", "基地", "公司", "集团", "工程", "中心"];
/// Words that make the run after a place a statement about it, not a name.
const STATEMENT_WORDS: &[&str] = &["签约", "签订", "新签", "引进", "招引", "开工", "完成", "实现", "共", "累计", "今年", "全年", "全省", "全市", "已", "将", "在"];

/// Whether the words after a place, up to the next punctuation, name a
/// thing that starts with the place (贵州航空产业城项目) rather than say
/// what the place did (贵州新签约项目).
fn names_a_thing(after: &str) -> bool {
    let run = head_while(after, 14, char::is_alphanumeric);
    let Some(head) = THING_HEADS.iter().filter_map(|h| run.find(h)).min() else { return false };
    head > 0 && !STATEMENT_WORDS.iter().any(|w| run[..head].contains(w))
}

/// Endings of a promotion event's name.
const OWN_EVENT_ENDS: &[&str] = &["推介会", "恳谈会", "签约会", "说明会", "洽谈会", "对接会", "招商会", "签约仪式", "招商活动", "活动周", "招商周"];

/// Whether a place opens a quoted event name (“济宁市重点招商项目签约暨合作恳谈会”):
/// a place's own promotion event, which it holds wherever it is held.
fn names_own_event(before: &str, after: &str) -> bool {
    if !before.ends_with('“') {
        return false;
    }
    let head = take_chars(after, 32);
    let Some(end) = head.find('”') else { return false };
    let inside = &head[..end];
    inside.chars().count() <= 30 && OWN_EVENT_ENDS.iter().any(|e| inside.ends_with(e))
}

/// Words that end a firm's name.
const FIRM_TAILS: &[&str] = &["有限公司", "有限责任公司", "股份公司", "集团", "公司", "控股", "股份"];
/// Trades a firm's short name ends with (三江生物, 联创制药).
const FIRM_TRADES: &[&str] = &[
    "生物", "药业", "制药", "科技", "实业", "置业", "电子", "电气", "化工", "食品", "物流", "能源", "新材料", "机械", "重工", "汽车",
];
/// Words that cannot sit inside a firm's name between a place and its
/// suffix: a verb or a joiner means the place and the firm are two things
/// (铜川与某集团签约, 铜川引进某公司).
const NOT_IN_FIRM_NAME: &[&str] = &["与", "和", "同", "向", "在", "的", "投资", "签约", "签订", "引进", "落户", "建设", "举办", "等"];

/// Whether a place opens a firm's name (上海凯波高分子线缆有限公司,
/// 济南大瓷新材料有限公司): it names the firm, not where the figure belongs.
fn in_firm_name(after: &str) -> bool {
    // `三江生物、国瑞药业`: a short firm name, a place and its trade, in a list
    let trade = FIRM_TRADES.iter().find_map(|t| after.strip_prefix(t));
    if trade.is_some_and(|rest| rest.is_empty() || rest.starts_with(['、', '，', ',', '等', '与', '和', '）', ')', '”'])) {
        return true;
    }
    let run = head_while(after, 16, is_name_char);
    let Some(end) = FIRM_TAILS.iter().filter_map(|t| run.find(t)).min() else { return false };
    let inner = &run[..end];
    !NOT_IN_FIRM_NAME.iter().any(|w| inner.contains(w))
}

/// Characters a firm's name is written with: Han characters, letters, digits.
fn is_name_char(c: char) -> bool {
    c.is_alphanumeric() && !c.is_whitespace()
}

/// Whether a place is part of a national fair's name (中国兰州投资贸易洽谈会,
/// 中国·哈尔滨国际经济贸易洽谈会): it names the venue, not the owner.
fn in_fair_name(before: &str, after: &str) -> bool {
    let before = before.trim_end_matches(['·', '•', '(', '（', '—', '-', ' ']);
    if !before.ends_with("中国") {
        return false;
    }
    let rest = head_while(after, 14, |c| !matches!(c, '，' | ',' | '。' | '；' | ';' | '\n'));
    FAIR_NAMES.iter().any(|f| rest.contains(f))
}

/// The role of each hit in `text`: quoted or bracketed names, venues and
/// partners, and places listed after a venue (赴深圳、上海等地).
fn roles(text: &str, hits: &[Hit]) -> Vec<Role> {
    let mut out: Vec<Role> = Vec::with_capacity(hits.len());
    let mut depth = 0i32; // open “《 minus closed ”》 up to the current hit
    let mut scanned = 0usize;
    for (i, h) in hits.iter().enumerate() {
        for c in text[scanned..h.byte_start].chars() {
            match c {
                '“' | '《' | '「' | '『' => depth += 1,
                '”' | '》' | '」' | '』' => depth = (depth - 1).max(0),
                '\n' => depth = 0,
                _ => {}
            }
        }
        scanned = h.byte_start;
        let before = &text[..h.byte_start];
        let after = &text[h.byte_end..];
        let place = matches!(h.kind, HitKind::Place(_));
        // 在谷城建设…项目, 在固安县投资10亿元: where a project is built is
        // where it belongs, though 在 stands before it as before a venue.
        let located = (before.ends_with('在') || before.ends_with('于')) && PROJECT_SITE_AFTER.iter().any(|w| after.starts_with(w));
        let venue = !located
            && (VENUE_BEFORE.iter().any(|w| before.ends_with(w))
                || PARTNER_AFTER.iter().any(|w| after.starts_with(w))
                || invests_elsewhere(after));
        let listed_after_venue = i > 0
            && out[i - 1] == Role::Elsewhere
            && LIST_JOINERS.contains(&text[hits[i - 1].byte_end..h.byte_start].trim());
        let role = if depth > 0 || (before.ends_with(['(', '（']) && after.starts_with([')', '）'])) || in_fair_name(before, after)
            || (place && in_firm_name(after))
        {
            Role::Named
        } else if place && (venue || listed_after_venue) {
            Role::Elsewhere
        } else {
            Role::Actor
        };
        out.push(role);
    }
    out
}
