//! A new NixOS VM from a configuration known to work: the template (pure, checked by
//! the doctor to have no findings) and the request it is built from.

pub mod run;
pub mod template;

pub use run::{create, CreateStage};
pub use template::{template_yaml, NewVm, NewVmError};
