//! Mounts: planning what dropped folders become (pure, in `plan`), and the `--set`
//! expressions that let Lima make the edit itself (in `expr`), so its validation and
//! comment-preserving rewrite apply and Limabar never writes lima.yaml.

pub mod apply;
pub mod expr;
pub mod guest_fstab;
pub mod plan;
pub mod probe;
pub mod source;
pub mod verify;

pub use plan::{plan_add, plan_remove, Plan, PlanError, PlanInput};
