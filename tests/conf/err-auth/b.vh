vhid 2
carpdev eth0
address 192.0.2.2
auth strict
