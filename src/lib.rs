//! warroom: a terminal cockpit for looking at a production PostgreSQL during an incident.
//! Reads run over a read-only session; writes never run.

pub mod agent;
pub mod app;
pub mod cli;
pub mod config;
pub mod db;
pub mod demo;
pub mod durable;
pub mod environment;
pub mod freeze;
pub mod guard;
pub mod highlight;
pub mod incident;
pub mod plan;
pub mod runbook;
pub mod runtime;
pub mod scrub;
pub mod timeline;
pub mod ui;
pub mod words;
