vhid 3
address 192.0.2.3
