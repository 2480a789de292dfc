//! drillbot's integration tests: one binary, one harness. Every test gets a fresh temporary SQLite file, the
//! small fixture bank in `tests/fixtures/bank`, and a clock it moves itself.

#![recursion_limit = "256"]

mod bank;
mod crash;
mod delivery;
mod discord;
mod grading;
mod harness;
mod layout;
mod props;
mod round;
mod schedule;
mod scores;
mod storage;
mod telegram;
