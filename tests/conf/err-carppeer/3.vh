vhid 3
carpdev eth0
address 192.0.2.3
carppeer 255.255.255.255
