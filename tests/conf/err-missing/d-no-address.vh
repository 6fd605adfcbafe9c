vhid 4
carpdev eth0
