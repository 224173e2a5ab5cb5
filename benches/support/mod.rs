pub mod corpus;
pub mod feeder;
