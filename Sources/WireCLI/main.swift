print("wire")
