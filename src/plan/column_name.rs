//! Output column names as PostgreSQL gives them to unaliased target expressions
//! (`count`, `?column?`, `case`, a cast's inner name or its type name, ...).

use crate::sql::ast;

use super::sql_type::{fold_ident, object_name_last, typname};

/// The output column name PostgreSQL gives an unaliased target expression.
pub(super) fn column_name(e: &ast::Expr) -> String {
    try_column_name(e).unwrap_or_else(|| "?column?".to_string())
}

fn try_column_name(e: &ast::Expr) -> Option<String> {
    use ast::Expr as A;
    match e {
        A::Identifier(i) => Some(fold_ident(i)),
        A::CompoundIdentifier(parts) => parts.last().map(fold_ident),
        A::Nested(x) => try_column_name(x),
        A::Function(f) => Some(object_name_last(&f.name)),
        A::Cast { expr, data_type, .. } => {
            try_column_name(expr).or_else(|| super::sql_type::convert_type(data_type).ok().map(|t| typname(&t)))
        }
        A::TypedString(ts) => super::sql_type::convert_type(&ts.data_type).ok().map(|t| typname(&t)),
        A::Interval(_) => Some("interval".into()),
        A::Case { .. } => Some("case".into()),
        A::Extract { .. } => Some("extract".into()),
        A::Substring { .. } => Some("substring".into()),
        A::Position { .. } => Some("position".into()),
        A::Trim { trim_where, .. } => Some(
            match trim_where {
                Some(ast::TrimWhereField::Leading) => "ltrim",
                Some(ast::TrimWhereField::Trailing) => "rtrim",
                _ => "btrim",
            }
            .into(),
        ),
        A::Ceil { .. } => Some("ceil".into()),
        A::Floor { .. } => Some("floor".into()),
        A::Array(_) => Some("array".into()),
        A::Exists { .. } => Some("exists".into()),
        A::Subquery(q) => match q.body.as_ref() {
            ast::SetExpr::Select(s) => match s.projection.as_slice() {
                [ast::SelectItem::UnnamedExpr(x)] => try_column_name(x),
                [ast::SelectItem::ExprWithAlias { alias, .. }] => Some(fold_ident(alias)),
                _ => None,
            },
            _ => None,
        },
        A::CompoundFieldAccess { root, .. } => try_column_name(root),
        _ => None,
    }
}
