vhid 3
carpdev eth0
address 192.0.2.3
passfile missing.key
