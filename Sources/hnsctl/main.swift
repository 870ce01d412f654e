print("hnsctl")
