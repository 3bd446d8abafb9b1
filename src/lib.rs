//! zhaoshang turns Chinese investment-promotion (招商引资) news articles into
//! structured events: who signed how many projects worth how much, where,
//! when, in which industries.
//!
//! # Layout
//!
//! The data walks through the stages in this order; each is one module.
//!
//! - [`decode`] — raw bytes or a JSON envelope → UTF-8 article, or a rejection.
//! - [`normalize`] — HTML, boilerplate, pinyin ruby, Traditional script,
//!   full-width forms → the clean text all later stages read.
//! - [`dedup`] — fingerprints and the stores that remember them.
//! - [`extract`] — relevance, events, numbers, regions, periods.
//! - [`event`] — the output contract (`zhaoshang.event.v1`, `zhaoshang.outcome.v1`).
//! - [`pipeline`] — the pure synchronous core that chains the stages.
//! - [`offline`] — `zhaoshang process`: the pipeline over files or stdin.
//! - [`config`] — layered configuration (defaults, file, env file, environment).
//! - [`metrics`] — Prometheus metrics and their names, the HTTP listener, tracing setup.
//! - [`kafka`] — `zhaoshang run`: consume, process, produce, commit.
//!
//! See `ARCHITECTURE.md` for the data flow and the invariants.

#![forbid(unsafe_code)]

pub mod config;
pub mod decode;
pub mod dedup;
pub mod event;
pub mod extract;
pub mod metrics;
pub mod normalize;
pub mod offline;
pub mod kafka;
pub mod pipeline;
