vhid 1
carpdev eth0
address 192.0.2.1
auth maybe
