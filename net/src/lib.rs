//! wakeful-net
