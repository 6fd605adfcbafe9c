# an invalid vhid is reported once, not also as missing
vhid 0
carpdev eth0
address 192.0.2.5
