//! The agent's ways in: adapters over the same guard, session, plan and journal as the
//! engineer's, with no rules of their own.

pub mod hook;
pub mod mcp;
