//! wakeful-executor
