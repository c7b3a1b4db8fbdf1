//! Live collection through the official AWS SDK: lists resources and fills the attribute
//! groups the plan asks for. Knows the catalog's document shapes, never a rule.
