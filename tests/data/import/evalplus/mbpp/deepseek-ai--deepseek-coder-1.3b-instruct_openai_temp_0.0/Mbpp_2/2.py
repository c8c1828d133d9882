def similar_elements(a, b):
    return ()
