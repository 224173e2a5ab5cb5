pub mod feeder;
