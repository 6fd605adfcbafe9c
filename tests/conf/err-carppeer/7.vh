vhid 7
carpdev eth0
address 192.0.2.7
carppeer 239.1.2.3
