//! E2E helpers live in tests/.
