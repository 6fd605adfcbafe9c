vhid 5
carpdev eth0
address 192.0.2.5
passfile emptyline.key
