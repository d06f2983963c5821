//! warroom: a terminal cockpit for looking at a production PostgreSQL during an incident.

pub mod cli;
pub mod config;
pub mod db;
pub mod demo;
pub mod guard;
