//! Live state: the pure readiness fold, the monitor actor that owns every instance's
//! state, the `Change`s it publishes, boot history, the cross-process operation lock,
//! the one-shot snapshot, and the tray model derived from it all.

pub mod boots;
pub mod change;
pub mod monitor;
pub mod oplock;
pub mod ports;
pub mod readiness;
pub mod snapshot;
pub mod tray;
