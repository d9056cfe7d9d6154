//! sqllogictest runner (see README).
