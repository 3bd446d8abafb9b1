//! Region resolution: place names → GB/T 2260 divisions with their chain.
//!
//! The division table (`data/divisions`, NBS codes 2023) is embedded in the
//! binary so the daemon needs no data files at run time.

use super::ExtractError;
use crate::event::Region;

const PROVINCES_CSV: &str = include_str!("../../data/divisions/provinces.csv");
const CITIES_CSV: &str = include_str!("../../data/divisions/cities.csv");
const AREAS_CSV: &str = include_str!("../../data/divisions/areas.csv");

/// The division table and a name index over it. Built once, shared read-only.
pub struct Divisions {
    regions: Vec<Region>,
}

/// One place name found in a text. Offsets are character offsets.
#[derive(Debug, Clone, PartialEq)]
pub struct Mention {
    pub start: usize,
    pub end: usize,
    pub region: Region,
}

impl Divisions {
    pub fn embedded() -> Result<Self, ExtractError> {
        let _ = (PROVINCES_CSV, CITIES_CSV, AREAS_CSV);
        Ok(Divisions { regions: Vec::new() })
    }

    /// The division with this 6-digit code.
    pub fn by_code(&self, adcode: &str) -> Option<&Region> {
        self.regions.iter().find(|r| r.adcode == adcode)
    }

    /// Place names in `text`, left to right, non-overlapping (longest match
    /// wins), full names (铜山区) and short names (铜山, 萬州→万州, 甘肃).
    pub fn mentions(&self, text: &str) -> Vec<Mention> {
        let _ = text;
        Vec::new()
    }

    /// The article's own region — what 我市/全市/本市/全区/我州 refer to — from
    /// the title, the source, the dateline, or the dominant place in the text.
    pub fn article_region(&self, title: Option<&str>, source: Option<&str>, text: &str) -> Option<Region> {
        let _ = (title, source, text);
        None
    }

    /// The region a fact stated in `clause` belongs to: the most specific
    /// division the clause names (disambiguated by the article's region),
    /// else the article's region.
    pub fn clause_region(&self, clause: &str, article: Option<&Region>) -> Option<Region> {
        let _ = clause;
        article.cloned()
    }
}
