//! # rampart-net — the network server core (work in progress)
#![no_std]
