vhid 1
carpdev eth0
address 192.0.2.1
carppeer 224.0.0.18
