//! The client as the network server's `NetDevice` (feature `net`).

use crate::{NetClient, Signal};

impl<S: Signal> rampart_net::NetDevice for NetClient<S> {
    fn mac(&self) -> [u8; 6] {
        NetClient::mac(self)
    }

    fn receive(&mut self, buf: &mut [u8]) -> Option<usize> {
        NetClient::receive(self, buf)
    }

    fn can_transmit(&mut self) -> bool {
        NetClient::can_transmit(self)
    }

    fn transmit(&mut self, len: usize, fill: &mut dyn FnMut(&mut [u8])) -> bool {
        NetClient::transmit(self, len, fill)
    }
}
