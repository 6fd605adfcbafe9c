vhid 4
carpdev eth0
address 192.0.2.4
auth strict
authkeyfile ""
auth off
