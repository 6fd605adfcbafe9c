vhid 6
carpdev eth0
address 192.0.2.6
carppeer 192.0.2.2/32
